# One fresh pwsh of tests/bench's fresh-process rounds (import_ms_*, first_token_*). Every mode
# runs the same harness: three Stopwatch timestamps (CLOCK_MONOTONIC on Linux, the clock the
# driver uses for the spawn and the exit, so the driver can split the process's wall time) and
# one line on stdout through [Console]::Out (not the formatting system).
#   empty                nothing (pwsh_empty_ms)
#   module               Import-Module <Path>; New-VcToken -Endpoint -Jwt over HTTPS
#   original             . <Path> (Originals.ps1); Invoke-OriginalVcToken -Endpoint -Jwt
#   empty_module         Import-Module <Path>; New-EmptyVcToken -Endpoint -Jwt (no request)
# Prints "<start> <after import or load> <after the first call>" in Stopwatch ticks.
param(
    [Parameter(Mandatory)] [ValidateSet('empty', 'module', 'original', 'empty_module')] [string] $Mode,
    [string] $Path,
    [string] $Endpoint,
    [string] $Jwt
)
$ErrorActionPreference = 'Stop'
$t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
$t1 = $t0
$t2 = $t0
if ($Mode -eq 'module') {
    Import-Module $Path
    $t1 = [System.Diagnostics.Stopwatch]::GetTimestamp()
    $token = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
    $t2 = [System.Diagnostics.Stopwatch]::GetTimestamp()
}
elseif ($Mode -eq 'original') {
    . $Path
    $t1 = [System.Diagnostics.Stopwatch]::GetTimestamp()
    $token = Invoke-OriginalVcToken -Endpoint $Endpoint -Jwt $Jwt
    $t2 = [System.Diagnostics.Stopwatch]::GetTimestamp()
}
elseif ($Mode -eq 'empty_module') {
    Import-Module $Path
    $t1 = [System.Diagnostics.Stopwatch]::GetTimestamp()
    $token = New-EmptyVcToken -Endpoint $Endpoint -Jwt $Jwt
    $t2 = [System.Diagnostics.Stopwatch]::GetTimestamp()
}
[Console]::Out.WriteLine("$t0 $t1 $t2")
