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
. (Join-Path $BenchDir 'BenchSupport.ps1')
# The one launcher of the loopback helpers (Start-NtRelay for the WAN lines) is the test suite's.
Import-Module (Join-Path (Join-Path (Join-Path $BenchDir '..') 'module') 'TestSupport.psm1')

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
. (Join-Path $BenchDir 'Checks.ps1')

# ================================================================ 0. round trips (WAN)
. (Join-Path $BenchDir 'Wan.ps1')
if ($WanOnly) {
    Add-GoalResults
    Add-Result 'bench_seconds' (F1 $Clock.Elapsed.TotalSeconds)
    Write-Summary
    return
}

# ================================================================ 1. fresh processes
. (Join-Path $BenchDir 'FreshProcesses.ps1')
# ================================================================ 2. latency, interleaved rounds
. (Join-Path $BenchDir 'Latency.ps1')
# ================================================================ 3. throughput: 2 runspaces vs 1
. (Join-Path $BenchDir 'Throughput.ps1')
# ================================================================ 4. memory
. (Join-Path $BenchDir 'Memory.ps1')

# ================================================================ report

Add-Result 'rounds' "$($Plan.Rounds) x $($Plan.Calls) calls per series (after a warm-up of $($Plan.WarmupCalls) calls over at least $($Plan.WarmupMinSeconds) s, at most $($Plan.WarmupSeconds) s, per series, and $($Plan.WarmupRounds) discarded rounds)"
Add-Result 'fresh_process_rounds' "$($Plan.FreshRounds) (after $($Plan.FreshWarmupRounds) discarded)"

Add-LatencyResults
Add-FreshProcessResults
Add-ThroughputResults
Add-MemoryResults
# Other work on the machine during the run (1, 5 and 15 minute load averages; 2 = both CPUs busy).
Add-Result 'machine_load_at_end' ([System.IO.File]::ReadAllText('/proc/loadavg').Trim())

Add-GoalResults

# ---------------------------------------------------------------- chart
. (Join-Path $BenchDir 'Chart.ps1')
$subtitle = "pwsh $($PSVersionTable.PSVersion); $([Environment]::ProcessorCount) CPUs shared with the loopback emulator; $(if ($Quick) { '--quick' } else { 'default' }) run; $($Plan.Rounds) interleaved rounds of $($Plan.Calls) calls per series"
Write-LatencySvg -Path (Join-Path $Out 'latency.svg') -Series @($Series | Where-Object Chart) -Subtitle $subtitle
Add-Result 'bench_seconds' (F1 $Clock.Elapsed.TotalSeconds)

Write-Summary
