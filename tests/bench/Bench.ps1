# NativeToken benchmark driver: run by tests/bench/run in the pinned pwsh, after it has built
# everything and started the emulator. SSL_CERT_FILE (the emulator's certificate) is in this
# process's environment, and so in every child's: the module, Invoke-RestMethod / HttpClient and
# the C floor (given the same file) all trust the emulator.
#
# Prints "name: value" lines (stdout and <Out>/summary.txt), raw samples in <Out>/samples/, the
# chart <Out>/latency.svg. It is a benchmark, not a test: it throws only when something cannot
# run (a command fails or returns the wrong object), never because a goal is missed.
# Method and the meaning of every line: docs/BENCHMARKS.md.
[CmdletBinding()]
param(
    [Parameter(Mandatory)] [string] $Http,          # http://127.0.0.1:PORT of the emulator
    [Parameter(Mandatory)] [string] $Https,         # https://127.0.0.1:PORT
    [Parameter(Mandatory)] [string] $Cert,          # the emulator's certificate (PEM)
    [Parameter(Mandatory)] [string] $Module,        # the module under test (.psd1)
    [string] $EmptyModules,                         # folder with EmptyToken/ and EmptyTokenScript/
    [string] $NativeFloor,                          # the native_floor executable
    [string] $PwshDll,                              # the pinned pwsh.dll (fresh processes: dotnet <it>)
    [Parameter(Mandatory)] [string] $Out,
    [int] $EmulatorPid = 0,
    [Parameter(Mandatory)] [string] $Relay,         # native-token-relay
    [Parameter(Mandatory)] [string] $IdleHttps,     # https://127.0.0.1:PORT of the emulator that closes idle connections
    [string] $IdleLog = '',                         # its log (counts its idle closes)
    [string] $IdleAccessLog = '',                   # or, for a server with no /_emulator/stats, its access log (one line a request)
    [double] $KeepaliveSeconds = 0,                 # its keep-alive timeout; 0: it closes none
    [int] $RttMs = 40,                              # the round trip the WAN lines add; 0: loopback (lines in ms)
    [switch] $Quick,
    [switch] $WanOnly                               # only the WAN lines (tests/bench/nginx-check); no checks, no chart
)

$ErrorActionPreference = 'Stop'
trap { [Console]::Error.WriteLine("bench: FAILED at line $($_.InvocationInfo.ScriptLineNumber) of $($_.InvocationInfo.ScriptName): $($_.InvocationInfo.Line.Trim())"); break }
[System.Threading.Thread]::CurrentThread.CurrentCulture = [System.Globalization.CultureInfo]::InvariantCulture
$Inv = [System.Globalization.CultureInfo]::InvariantCulture
$BenchDir = $PSScriptRoot
$Clock = [System.Diagnostics.Stopwatch]::StartNew()
$UsPerTick = 1e6 / [System.Diagnostics.Stopwatch]::Frequency
$Results = [System.Collections.Generic.List[string]]::new()

# ---------------------------------------------------------------- plan
# Warm-up: PowerShell interprets a script block before compiling it, and .NET's tiered JIT
# recompiles hot code in the background, after a quiet spell in new compilations, so a cmdlet
# keeps getting faster for thousands of calls and seconds. Every series is warmed up until it has
# made WarmupCalls calls over at least WarmupMinSeconds, or for WarmupSeconds at most; then whole
# interleaved rounds are run and discarded.
$Plan = if ($Quick) {
    @{ FreshRounds = 7; FreshWarmupRounds = 1; Rounds = 8; WarmupRounds = 2; Calls = 100
        WarmupCalls = 3000; WarmupMinSeconds = 1; WarmupSeconds = 3
        ThroughputRounds = 7; ThroughputCalls = 300; RssWarmup = 2000; RssCalls = 10000; RssSegments = 3
        WanRounds = 5; WanWarmCalls = 3 }
}
else {
    @{ FreshRounds = 21; FreshWarmupRounds = 1; Rounds = 50; WarmupRounds = 3; Calls = 200
        WarmupCalls = 6000; WarmupMinSeconds = 3; WarmupSeconds = 8
        ThroughputRounds = 31; ThroughputCalls = 600; RssWarmup = 2000; RssCalls = 10000; RssSegments = 5
        WanRounds = 15; WanWarmCalls = 5 }
}

# ---------------------------------------------------------------- helpers
function Write-Step([string] $Message) {
    [Console]::Error.WriteLine(('[bench {0,6:F1}s] {1}' -f $Clock.Elapsed.TotalSeconds, $Message))
}

function Add-Result([string] $Name, [string] $Value) {
    $Results.Add("${Name}: $Value")
    [Console]::Error.WriteLine(('[bench {0,6:F1}s]   {1}: {2}' -f $Clock.Elapsed.TotalSeconds, $Name, $Value))
}

$Goals = [System.Collections.Generic.List[object]]::new()
function Add-Goal([string] $Name, [double] $Value, [string] $Op, [double] $Target) {
    $Goals.Add([pscustomobject]@{ Name = $Name; Value = $Value; Op = $Op; Target = $Target })
}

function Add-GoalResults {
    foreach ($g in $Goals) {
        $met = if ($g.Op -eq '>=') { $g.Value -ge $g.Target } else { $g.Value -le $g.Target }
        Add-Result "goal_$($g.Name)" ("{0} ({1} {2} {3})" -f $(if ($met) { 'met' } else { 'not met' }), (F2 $g.Value), $g.Op, $g.Target.ToString($Inv))
    }
    $metCount = @($Goals | Where-Object { if ($_.Op -eq '>=') { $_.Value -ge $_.Target } else { $_.Value -le $_.Target } }).Count
    Add-Result 'goals_met' "$metCount/$($Goals.Count)"
}
function Write-Summary {
    [System.IO.File]::WriteAllLines((Join-Path $Out 'summary.txt'), [string[]]$Results)
    foreach ($line in $Results) { [Console]::Out.WriteLine($line) }
}

function F0([double] $v) { $v.ToString('F0', $Inv) }
function F1([double] $v) { if ([double]::IsNaN($v)) { 'n/a' } else { $v.ToString('F1', $Inv) } }
function F2([double] $v) { if ([double]::IsNaN($v)) { 'n/a' } else { $v.ToString('F2', $Inv) } }

function Get-Percentile([double[]] $Values, [double] $Q) {
    if ($Values.Length -eq 0) { return [double]::NaN }
    $v = [double[]]$Values.Clone()
    [Array]::Sort($v)
    $i = [int][Math]::Ceiling($Q * $v.Length) - 1
    $v[[Math]::Max(0, [Math]::Min($i, $v.Length - 1))]
}

function Get-Median([double[]] $Values) {
    if ($Values.Length -eq 0) { return [double]::NaN }
    $v = [double[]]$Values.Clone()
    [Array]::Sort($v)
    $m = [int][Math]::Floor($v.Length / 2)
    if ($v.Length % 2 -eq 1) { $v[$m] } else { ($v[$m - 1] + $v[$m]) / 2 }
}

function Get-Range([double[]] $Values) {
    $v = [double[]]$Values.Clone()
    [Array]::Sort($v)
    '{0} .. {1}' -f (F2 $v[0]), (F2 $v[$v.Length - 1])
}

function ConvertTo-Us([long[]] $Ticks) {
    $us = [double[]]::new($Ticks.Length)
    for ($i = 0; $i -lt $Ticks.Length; $i++) { $us[$i] = $Ticks[$i] * $UsPerTick }
    , $us
}

function Base64Url([string] $Text) {
    [Convert]::ToBase64String([Text.Encoding]::UTF8.GetBytes($Text)).TrimEnd('=').Replace('+', '-').Replace('/', '_')
}

# A child process with stdin and stdout as pipes (stderr goes to ours).
function Start-Child([string] $FileName, [string[]] $Arguments) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FileName)
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardInput = $true
    $psi.RedirectStandardOutput = $true
    $p = [System.Diagnostics.Process]::Start($psi)
    $p.StandardInput.AutoFlush = $true
    $p
}

# Runs a child to its end; returns its stdout, and its wall time from just before the spawn to
# its exit, in Stopwatch ticks (Start, End).
function Invoke-Timed([string] $FileName, [string[]] $Arguments) {
    $psi = [System.Diagnostics.ProcessStartInfo]::new($FileName)
    foreach ($a in $Arguments) { $psi.ArgumentList.Add($a) }
    $psi.UseShellExecute = $false
    $psi.RedirectStandardOutput = $true
    $start = [System.Diagnostics.Stopwatch]::GetTimestamp()
    $p = [System.Diagnostics.Process]::Start($psi)
    $text = $p.StandardOutput.ReadToEnd()
    $p.WaitForExit()
    $end = [System.Diagnostics.Stopwatch]::GetTimestamp()
    if ($p.ExitCode -ne 0) { throw "$FileName $($Arguments -join ' ') exited with $($p.ExitCode)" }
    $p.Dispose()
    [pscustomobject]@{ Start = $start; End = $end; Text = $text.Trim() }
}

function Read-VmRssKib {
    foreach ($line in [System.IO.File]::ReadAllLines('/proc/self/status')) {
        if ($line.StartsWith('VmRSS:')) { return [long]($line.Substring(6).Trim().Split(' ')[0]) }
    }
    throw 'no VmRSS in /proc/self/status'
}

function Read-SettledRssKib {
    # Aggressive: a full blocking compacting collection that also gives the GC's free memory back
    # to the OS, so VmRSS shows what is retained rather than the GC's spare budget.
    for ($k = 0; $k -lt 3; $k++) {
        [GC]::Collect(2, [GCCollectionMode]::Aggressive, $true, $true)
        [GC]::WaitForPendingFinalizers()
    }
    Read-VmRssKib
}

function Read-CpuTicks([string] $StatPath) {
    # utime + stime of /proc/<pid>/stat, in USER_HZ (1/100 s)
    try { $s = [System.IO.File]::ReadAllText($StatPath) } catch { return 0 }
    $f = $s.Substring($s.LastIndexOf(')') + 2).Split(' ')
    [long]$f[11] + [long]$f[12]
}

# ---------------------------------------------------------------- inputs
$Tenant = '2222c771-61f3-11ec-8a47-490a1e43c222'
$HttpEp = "$($Http.TrimEnd('/'))/v1/oauth2/v2.0/$Tenant/token"
$HttpsEp = "$($Https.TrimEnd('/'))/v1/oauth2/v2.0/$Tenant/token"
$Exp = [DateTimeOffset]::UtcNow.AddDays(2).ToUnixTimeSeconds()
$Jwt = (Base64Url '{"alg":"RS256","typ":"JWT"}') + '.' + (Base64Url "{`"sub`":`"bench`",`"iss`":`"native-token-bench`",`"exp`":$Exp}") + '.' + (Base64Url 'not-a-real-signature')
$ArmorCode = '+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo='   # 32 bytes in base64, with + / =
$Global:ArmorSession = [pscustomobject]@{ Server = ([uri]$Https).Host; Port = ([uri]$Https).Port; ApiVersion = 'v1.0' }
$EmptyModule = if ($EmptyModules) { Join-Path $EmptyModules 'EmptyToken/EmptyToken.psd1' } else { '' }
$EmptyModuleScript = if ($EmptyModules) { Join-Path $EmptyModules 'EmptyTokenScript/EmptyTokenScript.psd1' } else { '' }
$Originals = Join-Path $BenchDir 'Originals.ps1'
$FirstToken = Join-Path $BenchDir 'FirstToken.ps1'
$Dotnet = (Get-Process -Id $PID).Path   # the dotnet host running this pwsh
$PwshArgs = @($PwshDll, '-NoProfile', '-NonInteractive', '-NoLogo', '-File')
$null = New-Item -ItemType Directory -Force -Path (Join-Path $Out 'samples')
$needed = if ($WanOnly) { @($Module, $Cert, $Relay) } else { @($Module, $EmptyModule, $EmptyModuleScript, $NativeFloor, $PwshDll, $Cert, $Relay) }
foreach ($f in $needed) {
    if (-not $f -or -not (Test-Path $f)) { throw "bench: $f does not exist" }
}

# ---------------------------------------------------------------- machine
$cpuModel = (Select-String -Path /proc/cpuinfo -Pattern '^model name\s*:\s*(.*)$' | Select-Object -First 1).Matches[0].Groups[1].Value
$memKib = [long]((Select-String -Path /proc/meminfo -Pattern '^MemTotal:\s*(\d+)').Matches[0].Groups[1].Value)
Add-Result 'mode' $(if ($Quick) { 'quick' } else { 'default' })
Add-Result 'machine_cpu' $cpuModel
Add-Result 'machine_cpus' ([Environment]::ProcessorCount)
Add-Result 'machine_mem_mib' ([long]($memKib / 1024))
Add-Result 'machine_kernel' ([System.IO.File]::ReadAllText('/proc/sys/kernel/osrelease').Trim())
Add-Result 'machine_load_at_start' ([System.IO.File]::ReadAllText('/proc/loadavg').Trim())
Add-Result 'pwsh' $PSVersionTable.PSVersion.ToString()
Add-Result 'dotnet' ([Environment]::Version.ToString())

Import-Module $Module
if (-not $WanOnly) { Import-Module $EmptyModule }
. $Originals
. (Join-Path $BenchDir 'Baselines.ps1')
$mod = Get-Module NativeToken
if (-not $mod) { throw "bench: Import-Module $Module did not load a module named NativeToken" }
Add-Result 'module' "$Module (version $($mod.Version); New-VcToken is a $((Get-Command New-VcToken).CommandType))"

# ---------------------------------------------------------------- checks
# Every PowerShell command returns one object of the right shape before anything is timed.
function Test-VcOutput([string] $Name, [scriptblock] $Call, [string] $Endpoint) {
    $o = @(& $Call)
    $t = $o[0]
    $names = @($t.psobject.Properties.Name) -join ','
    $inSeconds = [int]($t.Expires - [datetime]::UtcNow).TotalSeconds
    $accessLen = $t.AccessToken.GetNetworkCredential().Password.Length
    $ok = $o.Count -eq 1 -and $names -eq 'Endpoint,AccessToken,JWT,Expires' -and $t.Endpoint -eq $Endpoint -and
        $t.AccessToken.UserName -eq 'AccessToken' -and $accessLen -gt 0 -and $t.JWT.UserName -eq 'JWT' -and
        $t.JWT.GetNetworkCredential().Password -ceq $Jwt -and $t.Expires.Kind -eq 'Utc' -and $inSeconds -gt 0
    $detail = "$names; access token $accessLen chars; Expires $($t.Expires.Kind), in $inSeconds s"
    Add-Result "check_$Name" $(if ($ok) { "ok ($detail)" } else { "WRONG ($detail)" })
    if (-not $ok) { throw "bench: $Name does not return the New-VcToken object: $detail" }
}
function Test-ArmorOutput([string] $Name, [scriptblock] $Call) {
    $o = @(& $Call)
    $t = $o[0]
    $names = @($t.psobject.Properties.Name | Sort-Object) -join ','
    $ok = $o.Count -eq 1 -and $names -eq 'access_token,expires_in,id_token,token_type' -and $t.access_token.Length -gt 0 -and $t.expires_in -gt 0
    $detail = "$names; access token $($t.access_token.Length) chars; expires_in $($t.expires_in)"
    Add-Result "check_$Name" $(if ($ok) { "ok ($detail)" } else { "WRONG ($detail)" })
    if (-not $ok) { throw "bench: $Name does not return the New-ArmorApiToken object: $detail" }
}
if (-not $WanOnly) {
    Write-Step 'checking what each command returns'
    Test-VcOutput 'vc_call' { New-VcToken -Endpoint $HttpEp -Jwt $Jwt } $HttpEp
    Test-VcOutput 'vc_call_tls' { New-VcToken -Endpoint $HttpsEp -Jwt $Jwt } $HttpsEp
    Test-ArmorOutput 'armor_call_tls' { New-ArmorApiToken -Code $ArmorCode }
    Test-VcOutput 'original_vc' { Invoke-OriginalVcToken -Endpoint $HttpEp -Jwt $Jwt } $HttpEp
    Test-VcOutput 'original_vc_tls' { Invoke-OriginalVcToken -Endpoint $HttpsEp -Jwt $Jwt } $HttpsEp
    Test-ArmorOutput 'original_armor_tls' { Invoke-OriginalArmorApiToken -Code $ArmorCode }
    Test-VcOutput 'ps_httpclient' { Invoke-PsHttpClientVcToken -Endpoint $HttpEp -Jwt $Jwt } $HttpEp
    Test-VcOutput 'ps_httpclient_tls' { Invoke-PsHttpClientVcToken -Endpoint $HttpsEp -Jwt $Jwt } $HttpsEp
    Test-VcOutput 'empty_cmdlet' { New-EmptyVcToken -Endpoint $HttpEp -Jwt $Jwt } $HttpEp
}

# ================================================================ 0. round trips (WAN)
. (Join-Path $BenchDir 'Wan.ps1')
if ($WanOnly) {
    Add-GoalResults
    Add-Result 'bench_seconds' (F1 $Clock.Elapsed.TotalSeconds)
    Write-Summary
    return
}

# ================================================================ 1. fresh processes
# Each round starts, in rotating order: a pwsh that runs nothing, a pwsh that imports the module
# and fetches one token over HTTPS, the same with the VenafiPS-style function, a pwsh that imports
# the empty compiled module (and its sibling with a root script) and calls its empty cmdlet once,
# and the C program's first token. Warm-up rounds (file cache) are discarded.
$Fresh = [ordered]@{
    pwsh_empty          = @{ Exe = $Dotnet; Args = $PwshArgs + @($FirstToken, '-Mode', 'empty') }
    module              = @{ Exe = $Dotnet; Args = $PwshArgs + @($FirstToken, '-Mode', 'module', '-Path', $Module, '-Endpoint', $HttpsEp, '-Jwt', $Jwt) }
    original            = @{ Exe = $Dotnet; Args = $PwshArgs + @($FirstToken, '-Mode', 'original', '-Path', $Originals, '-Endpoint', $HttpsEp, '-Jwt', $Jwt) }
    empty_module        = @{ Exe = $Dotnet; Args = $PwshArgs + @($FirstToken, '-Mode', 'empty_module', '-Path', $EmptyModule, '-Endpoint', $HttpsEp, '-Jwt', $Jwt) }
    empty_module_script = @{ Exe = $Dotnet; Args = $PwshArgs + @($FirstToken, '-Mode', 'empty_module', '-Path', $EmptyModuleScript, '-Endpoint', $HttpsEp, '-Jwt', $Jwt) }
    native              = @{ Exe = $NativeFloor; Args = @('first', $HttpsEp, $Jwt, $Cert) }
}
$kinds = @($Fresh.Keys)
foreach ($k in $kinds) { $Fresh[$k].Rows = [System.Collections.Generic.List[double[]]]::new() }
$freshTotal = $Plan.FreshWarmupRounds + $Plan.FreshRounds
Write-Step "fresh processes: $freshTotal rounds ($($Plan.FreshWarmupRounds) discarded) of $($kinds.Count) kinds"
for ($r = 0; $r -lt $freshTotal; $r++) {
    for ($k = 0; $k -lt $kinds.Count; $k++) {
        $kind = $kinds[($k + $r) % $kinds.Count]
        $run = Invoke-Timed $Fresh[$kind].Exe $Fresh[$kind].Args
        $f = $run.Text.Split(' ')
        $ms = $UsPerTick / 1000   # ms per tick (Stopwatch ticks are CLOCK_MONOTONIC ns on Linux, the C program's clock)
        if ($kind -eq 'native') {
            # at main (CLOCK_MONOTONIC ns), config ns, session ns, first call ns, second call ns
            $row = [double[]]@((($run.End - $run.Start) * $ms), (([long]$f[0] - $run.Start) * $ms), ([long]$f[1] / 1e6), ([long]$f[2] / 1e6), ([long]$f[3] / 1e6), ([long]$f[4] / 1e6))
        }
        else {
            # wall, spawn -> script start, import (or load), first call, after the call -> exit
            $t0 = [long]$f[0]; $t1 = [long]$f[1]; $t2 = [long]$f[2]
            $row = [double[]]@((($run.End - $run.Start) * $ms), (($t0 - $run.Start) * $ms), (($t1 - $t0) * $ms), (($t2 - $t1) * $ms), (($run.End - $t2) * $ms))
        }
        if ($r -ge $Plan.FreshWarmupRounds) { $Fresh[$kind].Rows.Add($row) }
    }
}
function Get-FreshColumn([string] $Kind, [int] $Column) {
    $rows = $Fresh[$Kind].Rows
    $v = [double[]]::new($rows.Count)
    for ($i = 0; $i -lt $rows.Count; $i++) { $v[$i] = $rows[$i][$Column] }
    , $v
}
$freshLines = foreach ($k in $kinds) { foreach ($row in $Fresh[$k].Rows) { "$k " + (($row | ForEach-Object { F2 $_ }) -join ' ') } }
$freshHeader = '# kind, then ms: wall, spawn to the script''s first statement, import (or load), first call, after the call to the exit; native: wall, spawn to main, configuration, session, first call, second call'
[System.IO.File]::WriteAllLines((Join-Path $Out 'samples/fresh_processes_ms.txt'), [string[]](@($freshHeader) + $freshLines))

# ================================================================ 2. latency, interleaved rounds
# Series measured in this process ("busy": it runs every case), in a pwsh that only calls the
# module ("alone"), and in the C program. Each in-process call is timed inside a PowerShell for
# loop with Stopwatch timestamps around it; the child processes time their own calls the same way.
function New-TimingLoop([string] $Call) {
    [scriptblock]::Create(@"
param([int] `$n, [string] `$e, [string] `$j, [string] `$c)
`$ts = [long[]]::new(`$n)
for (`$i = 0; `$i -lt `$n; `$i++) {
    `$t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
    `$null = $Call
    `$ts[`$i] = [System.Diagnostics.Stopwatch]::GetTimestamp() - `$t0
}
, `$ts
"@)
}

Write-Step 'starting the module alone (a fresh pwsh) and the C floor'
$alone = Start-Child $Dotnet ($PwshArgs + @((Join-Path $BenchDir 'Alone.ps1'), '-Module', $Module, '-HttpEndpoint', $HttpEp, '-HttpsEndpoint', $HttpsEp, '-Jwt', $Jwt))
if ($alone.StandardOutput.ReadLine() -ne 'ready') { throw 'bench: Alone.ps1 did not start' }
$floor = Start-Child $NativeFloor @('serve', $HttpEp, $HttpsEp, $Jwt, $Cert)

function Invoke-ChildRound($Child, [string] $Command, [int] $N, [double] $UsPerUnit) {
    $Child.StandardInput.WriteLine("$Command $N")
    $line = $Child.StandardOutput.ReadLine()
    if ($null -eq $line) { throw "bench: a child process ended during '$Command $N'" }
    $f = $line.Split(' ')
    if ($f.Length -ne $N) { throw "bench: '$Command $N' returned $($f.Length) samples" }
    $us = [double[]]::new($N)
    for ($i = 0; $i -lt $N; $i++) { $us[$i] = [long]$f[$i] * $UsPerUnit }
    , $us
}

# A series: a timing loop run here (Loop), or a command to a child process (Child).
$Series = [System.Collections.Generic.List[object]]::new()
function Add-Series([string] $Name, [string] $Label, [string] $Color, [string] $Call, [string] $Endpoint,
    $Child = $null, [string] $Command = '', [double] $UsPerUnit = 0, [bool] $Chart = $true) {
    $Series.Add([pscustomobject]@{
            Name = $Name; Label = $Label; Color = $Color; Chart = $Chart
            Loop = $(if ($Call) { New-TimingLoop $Call } else { $null }); Endpoint = $Endpoint
            Child = $Child; Command = $Command; UsPerUnit = $UsPerUnit
            Samples = [System.Collections.Generic.List[double]]::new(); RoundMedians = [System.Collections.Generic.List[double]]::new()
        })
}
function Invoke-Round($S, [int] $N) {
    if ($S.Loop) { ConvertTo-Us (& $S.Loop $N $S.Endpoint $Jwt $ArmorCode) }
    else { Invoke-ChildRound $S.Child $S.Command $N $S.UsPerUnit }
}
Add-Series 'original_vc' 'VenafiPS-style function, HTTP' '#1f77b4' 'Invoke-OriginalVcToken -Endpoint $e -Jwt $j' $HttpEp
Add-Series 'original_vc_tls' 'VenafiPS-style function, HTTPS' '#17becf' 'Invoke-OriginalVcToken -Endpoint $e -Jwt $j' $HttpsEp
Add-Series 'original_armor_tls' 'ArmorPowerShell-style function, HTTPS' '#9467bd' 'Invoke-OriginalArmorApiToken -Code $c' $HttpsEp
Add-Series 'ps_httpclient' 'lean PowerShell + HttpClient, HTTP' '#8c564b' 'Invoke-PsHttpClientVcToken -Endpoint $e -Jwt $j' $HttpEp
Add-Series 'ps_httpclient_tls' 'lean PowerShell + HttpClient, HTTPS' '#c49c94' 'Invoke-PsHttpClientVcToken -Endpoint $e -Jwt $j' $HttpsEp
Add-Series 'vc_call' 'module New-VcToken, HTTP' '#d62728' 'New-VcToken -Endpoint $e -Jwt $j' $HttpEp
Add-Series 'vc_call_tls' 'module New-VcToken, HTTPS' '#ff7f0e' 'New-VcToken -Endpoint $e -Jwt $j' $HttpsEp
Add-Series 'armor_call_tls' 'module New-ArmorApiToken, HTTPS' '#e377c2' 'New-ArmorApiToken -Code $c' $HttpsEp
Add-Series 'vc_call_alone' 'module alone in its pwsh, HTTP' '#bcbd22' '' '' $alone 'http' $UsPerTick
Add-Series 'vc_call_alone_tls' 'module alone in its pwsh, HTTPS' '#dbdb8d' '' '' $alone 'https' $UsPerTick
Add-Series 'native_floor' 'C ABI floor (native loop), HTTP' '#2ca02c' '' '' $floor 'http' 1e-3
Add-Series 'native_floor_tls' 'C ABI floor (native loop), HTTPS' '#98df8a' '' '' $floor 'https' 1e-3
Add-Series 'empty_cmdlet' 'empty compiled cmdlet (no request)' '#7f7f7f' 'New-EmptyVcToken -Endpoint $e -Jwt $j' $HttpEp
Add-Series 'ps_timer_floor' 'timer floor' '#000000' '$i' $HttpEp -Chart $false

Write-Step "warm-up: each series $($Plan.WarmupCalls) calls over at least $($Plan.WarmupMinSeconds) s, or $($Plan.WarmupSeconds) s at most"
foreach ($s in $Series) {
    $sw = [System.Diagnostics.Stopwatch]::StartNew()
    $done = 0
    while ($sw.Elapsed.TotalSeconds -lt $Plan.WarmupSeconds -and
        ($done -lt $Plan.WarmupCalls -or $sw.Elapsed.TotalSeconds -lt $Plan.WarmupMinSeconds)) {
        $null = Invoke-Round $s 250
        $done += 250
    }
}
$totalRounds = $Plan.WarmupRounds + $Plan.Rounds
Write-Step "latency: $totalRounds interleaved rounds ($($Plan.WarmupRounds) discarded) x $($Plan.Calls) calls of $($Series.Count) series"
for ($r = 0; $r -lt $totalRounds; $r++) {
    # Rotate the order every round, so that no series always follows the same one.
    for ($k = 0; $k -lt $Series.Count; $k++) {
        $s = $Series[($k + $r) % $Series.Count]
        $us = Invoke-Round $s $Plan.Calls
        if ($r -ge $Plan.WarmupRounds) {
            $s.Samples.AddRange($us)
            $s.RoundMedians.Add((Get-Percentile $us 0.5))
        }
    }
    if (($r + 1) % 5 -eq 0 -or $r -eq $totalRounds - 1) { Write-Step "  round $($r + 1)/$totalRounds done" }
}
foreach ($s in $Series) {
    $lines = [string[]]::new($s.Samples.Count)
    for ($i = 0; $i -lt $lines.Length; $i++) { $lines[$i] = $s.Samples[$i].ToString('F3', $Inv) }
    [System.IO.File]::WriteAllLines((Join-Path $Out "samples/$($s.Name)_us.txt"), $lines)
}
$alone.StandardInput.WriteLine('quit')
$alone.WaitForExit()

# ================================================================ 3. throughput: 2 runspaces vs 1
function New-ModuleRunspace {
    $rs = [runspacefactory]::CreateRunspace()
    $rs.ThreadOptions = [System.Management.Automation.Runspaces.PSThreadOptions]::ReuseThread
    $rs.Open()
    $ps = [powershell]::Create()
    $ps.Runspace = $rs
    $null = $ps.AddScript('param($m, $e) $ErrorActionPreference = "Stop"; Import-Module $m; Import-Module $e').AddArgument($Module).AddArgument($EmptyModule)
    $null = $ps.Invoke()
    $ps.Dispose()
    $rs
}
function New-LoopPipeline($Runspace, [string] $Command, [int] $N) {
    $ps = [powershell]::Create()
    $ps.Runspace = $Runspace
    $null = $ps.AddScript("param(`$e, `$j, `$n) for (`$i = 0; `$i -lt `$n; `$i++) { `$null = $Command -Endpoint `$e -Jwt `$j }").AddArgument($HttpEp).AddArgument($Jwt).AddArgument($N)
    $ps
}
function Complete-Pipeline($Ps) {
    if ($Ps.HadErrors) { throw "bench: $($Ps.Streams.Error[0])" }
    $Ps.Dispose()
}

Write-Step "throughput: $($Plan.ThroughputRounds) interleaved rounds of 1 runspace ($($Plan.ThroughputCalls) calls) and 2 runspaces (2 x $($Plan.ThroughputCalls) calls), HTTP"
$rsA = New-ModuleRunspace
$rsB = New-ModuleRunspace
foreach ($rs in $rsA, $rsB) { $p = New-LoopPipeline $rs 'New-VcToken' 2000; $null = $p.Invoke(); Complete-Pipeline $p }
$serial = [System.Collections.Generic.List[double]]::new()
$parallel = [System.Collections.Generic.List[double]]::new()
$paired = [System.Collections.Generic.List[double]]::new()
$cpu = @{ SerialSelf = 0L; SerialEmu = 0L; SerialWall = 0.0; ParSelf = 0L; ParEmu = 0L; ParWall = 0.0 }
$emuStat = "/proc/$EmulatorPid/stat"
$n = $Plan.ThroughputCalls
for ($r = 0; $r -lt $Plan.ThroughputRounds; $r++) {
    $roundSerial = 0.0; $roundParallel = 0.0
    foreach ($par in $(if ($r % 2 -eq 0) { $false, $true } else { $true, $false })) {
        $self0 = Read-CpuTicks '/proc/self/stat'; $emu0 = Read-CpuTicks $emuStat
        if (-not $par) {
            $p = New-LoopPipeline $rsA 'New-VcToken' $n
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $null = $p.Invoke()
            $wall = $sw.Elapsed.TotalSeconds
            Complete-Pipeline $p
            $roundSerial = $n / $wall
            $serial.Add($roundSerial)
        }
        else {
            $p1 = New-LoopPipeline $rsA 'New-VcToken' $n
            $p2 = New-LoopPipeline $rsB 'New-VcToken' $n
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
            $h1 = $p1.BeginInvoke()
            $h2 = $p2.BeginInvoke()
            $null = $p1.EndInvoke($h1)
            $null = $p2.EndInvoke($h2)
            $wall = $sw.Elapsed.TotalSeconds
            Complete-Pipeline $p1
            Complete-Pipeline $p2
            $roundParallel = 2 * $n / $wall
            $parallel.Add($roundParallel)
        }
        $dSelf = (Read-CpuTicks '/proc/self/stat') - $self0
        $dEmu = (Read-CpuTicks $emuStat) - $emu0
        if ($par) { $cpu.ParSelf += $dSelf; $cpu.ParEmu += $dEmu; $cpu.ParWall += $wall }
        else { $cpu.SerialSelf += $dSelf; $cpu.SerialEmu += $dEmu; $cpu.SerialWall += $wall }
    }
    $paired.Add($roundParallel / $roundSerial)
}

# ================================================================ 4. memory
# RSS of this process over segments of RssCalls calls in one runspace, each reading after a
# settled GC; the median segment is reported. The empty cmdlet is the control; the C floor too.
function Measure-RssGrowth([string] $Command) {
    $p = New-LoopPipeline $rsA $Command $Plan.RssWarmup; $null = $p.Invoke(); Complete-Pipeline $p
    $prev = Read-SettledRssKib
    $growth = [double[]]::new($Plan.RssSegments)
    for ($s = 0; $s -lt $Plan.RssSegments; $s++) {
        $p = New-LoopPipeline $rsA $Command $Plan.RssCalls; $null = $p.Invoke(); Complete-Pipeline $p
        $now = Read-SettledRssKib
        $growth[$s] = ($now - $prev) * 10000.0 / $Plan.RssCalls
        $prev = $now
    }
    , $growth
}
Write-Step "memory: warm-up $($Plan.RssWarmup) calls, then $($Plan.RssSegments) x $($Plan.RssCalls) calls (module, then the empty cmdlet)"
$rssModule = Measure-RssGrowth 'New-VcToken'
$rssEmpty = Measure-RssGrowth 'New-EmptyVcToken'
$floor.StandardInput.WriteLine("stats $($Plan.RssCalls)")
$floorStats = [double[]]($floor.StandardOutput.ReadLine().Split(' '))
$floor.StandardInput.WriteLine('quit')
$floor.WaitForExit()
$rsA.Dispose(); $rsB.Dispose()

# ================================================================ report
$BySeries = @{}; foreach ($s in $Series) { $BySeries[$s.Name] = $s }
function P([string] $Name, [double] $Q) { Get-Percentile $BySeries[$Name].Samples.ToArray() $Q }
function RM([string] $Name) { , $BySeries[$Name].RoundMedians.ToArray() }

Add-Result 'rounds' "$($Plan.Rounds) x $($Plan.Calls) calls per series (after a warm-up of $($Plan.WarmupCalls) calls over at least $($Plan.WarmupMinSeconds) s, at most $($Plan.WarmupSeconds) s, per series, and $($Plan.WarmupRounds) discarded rounds)"
Add-Result 'fresh_process_rounds' "$($Plan.FreshRounds) (after $($Plan.FreshWarmupRounds) discarded)"

# -- per-call latency
foreach ($name in 'original_vc', 'original_vc_tls', 'original_armor_tls', 'ps_httpclient', 'ps_httpclient_tls',
    'vc_call', 'vc_call_tls', 'armor_call_tls', 'vc_call_alone', 'vc_call_alone_tls', 'native_floor', 'native_floor_tls', 'empty_cmdlet') {
    Add-Result "${name}_us_p50" (F1 (P $name 0.5))
    Add-Result "${name}_us_p99" (F1 (P $name 0.99))
}
Add-Result 'ps_timer_floor_us_p50' (F2 (P 'ps_timer_floor' 0.5))

# -- ratios: medians of the whole run, and the range of the same ratio per round
function Add-Ratio([string] $Name, [string] $Num, [string[]] $Den, [string] $Op = '', [double] $Target = 0) {
    $sum = 0.0; foreach ($d in $Den) { $sum += P $d 0.5 }
    $value = (P $Num 0.5) / $sum
    # per round: the same ratio of that round's medians
    $rn = RM $Num
    $per = [double[]]::new($rn.Length)
    foreach ($d in $Den) { $rd = RM $d; for ($i = 0; $i -lt $per.Length; $i++) { $per[$i] += $rd[$i] } }
    for ($i = 0; $i -lt $per.Length; $i++) { $per[$i] = $rn[$i] / $per[$i] }
    Add-Result $Name (F2 $value)
    Add-Result "${Name}_per_round" (Get-Range $per)
    if ($Op) { Add-Goal $Name $value $Op $Target }
}
Add-Ratio 'speedup_vs_original' 'original_vc' @('vc_call') '>=' 6
Add-Ratio 'speedup_vs_original_tls' 'original_vc_tls' @('vc_call_tls') '>=' 20
Add-Ratio 'speedup_vs_original_armor_tls' 'original_armor_tls' @('armor_call_tls') '>=' 20
Add-Ratio 'speedup_vs_ps_httpclient' 'ps_httpclient' @('vc_call')
Add-Ratio 'speedup_vs_ps_httpclient_tls' 'ps_httpclient_tls' @('vc_call_tls')
Add-Ratio 'overhead_vs_parts' 'vc_call' @('native_floor', 'empty_cmdlet') '<=' 1.25
Add-Ratio 'overhead_vs_parts_tls' 'vc_call_tls' @('native_floor_tls', 'empty_cmdlet') '<=' 1.25
Add-Result 'module_minus_parts_us' (F1 ((P 'vc_call' 0.5) - (P 'native_floor' 0.5) - (P 'empty_cmdlet' 0.5)))
Add-Result 'module_minus_parts_tls_us' (F1 ((P 'vc_call_tls' 0.5) - (P 'native_floor_tls' 0.5) - (P 'empty_cmdlet' 0.5)))
Add-Ratio 'alone_vs_floor' 'vc_call_alone' @('native_floor')
Add-Ratio 'alone_vs_floor_tls' 'vc_call_alone_tls' @('native_floor_tls')
Add-Ratio 'alone_vs_busy' 'vc_call_alone' @('vc_call')
Add-Ratio 'alone_vs_busy_tls' 'vc_call_alone_tls' @('vc_call_tls')

# -- two states. On this VM a series runs, for tens of ms to seconds at a time, either in a fast
# state or 30-50 µs per call slower (most likely the client and the emulator being woken on
# different vCPUs; see docs/BENCHMARKS.md). A round whose median is over 1.3 x the series'
# 10th-percentile round median counts as slow; the p50 over the other rounds (*_fast_rounds)
# shows each series in the fast state.
$slowNames = 'vc_call', 'vc_call_tls', 'armor_call_tls', 'vc_call_alone', 'vc_call_alone_tls', 'native_floor', 'native_floor_tls', 'empty_cmdlet'
$fastP50 = @{}
$slowText = foreach ($name in $slowNames) {
    $rm = RM $name
    $limit = 1.3 * (Get-Percentile $rm 0.1)
    $kept = [System.Collections.Generic.List[double]]::new()
    $slow = 0
    for ($r = 0; $r -lt $rm.Length; $r++) {
        if ($rm[$r] -gt $limit) { $slow++ } else { $kept.AddRange($BySeries[$name].Samples.GetRange($r * $Plan.Calls, $Plan.Calls)) }
    }
    $fastP50[$name] = Get-Percentile $kept.ToArray() 0.5
    "$name $slow/$($rm.Length)"
}
Add-Result 'slow_rounds' ($slowText -join ', ')
foreach ($name in $slowNames) { Add-Result "${name}_us_p50_fast_rounds" (F1 $fastP50[$name]) }
Add-Result 'overhead_vs_parts_fast_rounds' (F2 ($fastP50.vc_call / ($fastP50.native_floor + $fastP50.empty_cmdlet)))
Add-Result 'overhead_vs_parts_tls_fast_rounds' (F2 ($fastP50.vc_call_tls / ($fastP50.native_floor_tls + $fastP50.empty_cmdlet)))
Add-Result 'alone_vs_floor_fast_rounds' (F2 ($fastP50.vc_call_alone / $fastP50.native_floor))
Add-Result 'speedup_vs_original_fast_rounds' (F2 ((P 'original_vc' 0.5) / $fastP50.vc_call))
Add-Result 'speedup_vs_original_tls_fast_rounds' (F2 ((P 'original_vc_tls' 0.5) / $fastP50.vc_call_tls))
Add-Result 'speedup_vs_original_armor_tls_fast_rounds' (F2 ((P 'original_armor_tls' 0.5) / $fastP50.armor_call_tls))

# -- fresh processes (ms; medians over the rounds)
# Fresh processes. The time a process adds to a fresh pwsh is taken from the script's first
# statement to the process's exit: what comes before (pwsh starting, up to the first statement of
# the same script) is the same work in every mode, and on this shared VM it alone varies by
# +-150 ms from process to process, more than the module's whole first token. The literal
# difference of wall times is reported too (first_token_wall_*).
$wall = @{}; $after = @{}
foreach ($k in $kinds) {
    $wall[$k] = Get-FreshColumn $k 0
    $startCol = Get-FreshColumn $k 1
    $a = [double[]]::new($startCol.Length)
    for ($i = 0; $i -lt $a.Length; $i++) { $a[$i] = $wall[$k][$i] - $startCol[$i] }
    $after[$k] = $a
}
$importModule = Get-FreshColumn 'module' 2
$importEmpty = Get-FreshColumn 'empty_module' 2
$importRatio = [double[]]::new($Plan.FreshRounds)
$firstRatio = [double[]]::new($Plan.FreshRounds)
for ($i = 0; $i -lt $Plan.FreshRounds; $i++) {
    $importRatio[$i] = $importModule[$i] / $importEmpty[$i]
    $firstRatio[$i] = ($after.module[$i] - $after.pwsh_empty[$i]) / ($after.original[$i] - $after.pwsh_empty[$i])
}
$mImport = Get-Median $importModule; $mImportEmpty = Get-Median $importEmpty
Add-Result 'import_ms_first' (F1 $mImport)
Add-Result 'import_ms_empty_module' (F1 $mImportEmpty)
Add-Result 'import_ms_empty_module_script_root' (F1 (Get-Median (Get-FreshColumn 'empty_module_script' 2)))
Add-Result 'import_ratio' (F2 ($mImport / $mImportEmpty))
Add-Result 'import_ratio_per_round' (Get-Range $importRatio)
Add-Goal 'import_ratio' ($mImport / $mImportEmpty) '<=' 1.25
$mEmpty = Get-Median $wall.pwsh_empty
$firstModule = (Get-Median $after.module) - (Get-Median $after.pwsh_empty)
$firstOriginal = (Get-Median $after.original) - (Get-Median $after.pwsh_empty)
Add-Result 'pwsh_empty_ms' (F1 $mEmpty)
Add-Result 'first_token_ms' (F1 $firstModule)
Add-Result 'first_token_original_ms' (F1 $firstOriginal)
Add-Result 'first_token_ratio' (F2 ($firstModule / $firstOriginal))
Add-Result 'first_token_ratio_per_round' (Get-Range $firstRatio)
Add-Goal 'first_token_ratio' ($firstModule / $firstOriginal) '<=' 0.35
$wallModule = (Get-Median $wall.module) - $mEmpty
$wallOriginal = (Get-Median $wall.original) - $mEmpty
Add-Result 'first_token_wall_ms' (F1 $wallModule)
Add-Result 'first_token_original_wall_ms' (F1 $wallOriginal)
Add-Result 'first_token_wall_ratio' (F2 ($wallModule / $wallOriginal))
# Where the module's first token goes: the parts of its process (medians of each part over the
# rounds, so they need not add up exactly), and the same first call from the C program.
function MF([string] $Kind, [int] $Column) { Get-Median (Get-FreshColumn $Kind $Column) }
$nativePart = (MF 'native' 2) + (MF 'native' 3) + (MF 'native' 4)
$insideModule = [double[]]::new($Plan.FreshRounds); $insideOriginal = [double[]]::new($Plan.FreshRounds); $insideRatio = [double[]]::new($Plan.FreshRounds)
$fm = $Fresh.module.Rows; $fo = $Fresh.original.Rows
for ($i = 0; $i -lt $Plan.FreshRounds; $i++) {
    $insideModule[$i] = $fm[$i][2] + $fm[$i][3]; $insideOriginal[$i] = $fo[$i][2] + $fo[$i][3]
    $insideRatio[$i] = $insideModule[$i] / $insideOriginal[$i]
}
Add-Result 'first_token_inside_ms' (F1 (Get-Median $insideModule))
Add-Result 'first_token_original_inside_ms' (F1 (Get-Median $insideOriginal))
Add-Result 'first_token_ratio_inside' (F2 ((Get-Median $insideModule) / (Get-Median $insideOriginal)))
Add-Result 'first_token_ratio_inside_per_round' (Get-Range $insideRatio)
Add-Result 'first_token_start_ms' (F1 (MF 'module' 1))
Add-Result 'first_token_import_ms' (F1 (MF 'module' 2))
Add-Result 'first_token_first_call_ms' (F1 (MF 'module' 3))
Add-Result 'first_token_first_call_native_ms' (F1 $nativePart)
Add-Result 'first_token_first_call_dotnet_ps_ms' (F1 ((MF 'module' 3) - $nativePart))
Add-Result 'first_token_exit_ms' (F1 (MF 'module' 4))
Add-Result 'first_token_original_start_ms' (F1 (MF 'original' 1))
Add-Result 'first_token_original_load_ms' (F1 (MF 'original' 2))
Add-Result 'first_token_original_first_call_ms' (F1 (MF 'original' 3))
Add-Result 'first_token_original_exit_ms' (F1 (MF 'original' 4))
Add-Result 'pwsh_empty_start_ms' (F1 (MF 'pwsh_empty' 1))
Add-Result 'pwsh_empty_exit_ms' (F1 (MF 'pwsh_empty' 4))
Add-Result 'first_call_empty_cmdlet_ms' (F1 (MF 'empty_module' 3))
Add-Result 'native_first_process_ms' (F1 (MF 'native' 0))
Add-Result 'native_first_exec_ms' (F2 (MF 'native' 1))
Add-Result 'native_first_config_ms' (F2 (MF 'native' 2))
Add-Result 'native_first_session_ms' (F2 (MF 'native' 3))
Add-Result 'native_first_call_ms' (F2 (MF 'native' 4))
Add-Result 'native_second_call_ms' (F2 (MF 'native' 5))

# -- throughput and memory
$mSerial = Get-Median $serial.ToArray(); $mParallel = Get-Median $parallel.ToArray()
Add-Result 'throughput_rounds' $Plan.ThroughputRounds
Add-Result 'serial_tokens_per_s' (F0 $mSerial)
Add-Result 'parallel_tokens_per_s' (F0 $mParallel)
Add-Result 'parallel_scaling_2cores' (F2 ($mParallel / $mSerial))
Add-Result 'parallel_scaling_2cores_per_round' (Get-Range $paired.ToArray())
Add-Goal 'parallel_scaling_2cores' ($mParallel / $mSerial) '>=' 1.5
$hz = 100.0
Add-Result 'serial_cpu_pct' ("bench {0}, emulator {1}" -f (F0 (100 * $cpu.SerialSelf / $hz / $cpu.SerialWall)), (F0 (100 * $cpu.SerialEmu / $hz / $cpu.SerialWall)))
Add-Result 'parallel_cpu_pct' ("bench {0}, emulator {1}" -f (F0 (100 * $cpu.ParSelf / $hz / $cpu.ParWall)), (F0 (100 * $cpu.ParEmu / $hz / $cpu.ParWall)))
Add-Result 'bench_cpu_us_per_call_serial' (F1 (1e6 * $cpu.SerialSelf / $hz / ($Plan.ThroughputRounds * $n)))
Add-Result 'emulator_cpu_us_per_call' (F1 (1e6 * ($cpu.SerialEmu + $cpu.ParEmu) / $hz / ($Plan.ThroughputRounds * 3.0 * $n)))
$gRss = Get-Median $rssModule
Add-Result 'rss_growth_kib_per_10k_calls' (F0 $gRss)
Add-Result 'rss_growth_kib_per_10k_calls_segments' (($rssModule | ForEach-Object { F0 $_ }) -join ' ')
Add-Goal 'rss_growth_kib_per_10k_calls' $gRss '<=' 256
Add-Result 'rss_growth_empty_cmdlet_kib_per_10k_calls' ("{0} (segments {1})" -f (F0 (Get-Median $rssEmpty)), (($rssEmpty | ForEach-Object { F0 $_ }) -join ' '))
Add-Result 'native_floor_rss_growth_kib_per_10k_calls' (F0 (($floorStats[1] - $floorStats[0]) * 10000.0 / $Plan.RssCalls))
Add-Result 'native_floor_cpu_us_per_call' (F1 $floorStats[2])
Add-Result 'native_floor_context_switches_per_call' (F2 $floorStats[3])
Add-Result 'rss_kib_end' (Read-VmRssKib)
# Other work on the machine during the run (1, 5 and 15 minute load averages; 2 = both CPUs busy).
Add-Result 'machine_load_at_end' ([System.IO.File]::ReadAllText('/proc/loadavg').Trim())

Add-GoalResults

# ---------------------------------------------------------------- chart
. (Join-Path $BenchDir 'Chart.ps1')
$subtitle = "pwsh $($PSVersionTable.PSVersion); $([Environment]::ProcessorCount) CPUs shared with the loopback emulator; $(if ($Quick) { '--quick' } else { 'default' }) run; $($Plan.Rounds) interleaved rounds of $($Plan.Calls) calls per series"
Write-LatencySvg -Path (Join-Path $Out 'latency.svg') -Series @($Series | Where-Object Chart) -Subtitle $subtitle
Add-Result 'bench_seconds' (F1 $Clock.Elapsed.TotalSeconds)

Write-Summary
