# The module alone (vc_call_alone_*): a fresh pwsh that imports the module and does nothing but
# call it. The driver sends one command a line on stdin and waits for the answer (idle), so the
# rounds of this process interleave with the driver's rounds without sharing its process:
#   http N | https N   N timed calls of New-VcToken -Endpoint -Jwt: one line, N durations in
#                      Stopwatch ticks, separated by spaces
#   quit (or EOF)      exit
param(
    [Parameter(Mandatory)] [string] $Module,
    [Parameter(Mandatory)] [string] $HttpEndpoint,
    [Parameter(Mandatory)] [string] $HttpsEndpoint,
    [Parameter(Mandatory)] [string] $Jwt
)
$ErrorActionPreference = 'Stop'
Import-Module $Module

$loop = {
    param([int] $n, [string] $e, [string] $j)
    $ts = [long[]]::new($n)
    for ($i = 0; $i -lt $n; $i++) {
        $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
        $null = New-VcToken -Endpoint $e -Jwt $j
        $ts[$i] = [System.Diagnostics.Stopwatch]::GetTimestamp() - $t0
    }
    , $ts
}

[Console]::Out.WriteLine('ready')
while ($null -ne ($line = [Console]::In.ReadLine())) {
    $words = $line.Split(' ')
    if ($words[0] -eq 'quit') { break }
    $endpoint = switch ($words[0]) { 'http' { $HttpEndpoint } 'https' { $HttpsEndpoint } default { throw "Alone.ps1: unknown command '$line'" } }
    $ts = & $loop ([int]$words[1]) $endpoint $Jwt
    [Console]::Out.WriteLine([string]::Join(' ', $ts))
}
