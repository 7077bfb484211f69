# The WAN section of tests/bench: dot-sourced by Bench.ps1 (it uses the driver's helpers and
# adds to its results and goals). What a user far from the service feels, in round trips (RTT),
# through native-token-relay (a delay line of RttMs / 2 each way, one more RTT per new connection)
# in front of a second emulator that closes connections idle for KeepaliveSeconds, as a real
# service does:
#   wan_first_rtt        the module's first call to a new host (a relay listener not used before:
#                        TCP handshake + TLS handshake + request; the physical floor is 3 RTT)
#   wan_warm_rtt         a call on the module's kept-alive connection (floor: 1 RTT)
#   wan_after_idle_rtt   a call after the server closed the idle pooled connection (floor: 3 RTT,
#                        a new connection)
#   wan_original_rtt     the VenafiPS way: Invoke-RestMethod, a new HttpClient and connection per call
#   wan_armor_*          the same for New-ArmorApiToken and the ArmorPowerShell way
#   after_idle_vs_new    on loopback (a relay at 0 ms, for new hosts): the call after an idle close
#                        over the first call to a new host
# Each round primes the after-idle connections, measures every other series in rotating order
# while they idle, waits out the keep-alive timeout (plus a margin), then times the after-idle
# calls. The first round is discarded. Medians over the rounds; ranges are the rounds' extremes.

$wanRounds = $Plan.WanRounds + 1   # the first round warms up and is discarded
$rtt = [double]$RttMs
$keepalive = [double]$KeepaliveSeconds
$idleUpstream = ([uri]$IdleHttps).Authority

# A relay at $Rtt ms in front of the idle emulator, through the test suite's launcher (TestSupport).
function Start-Relay([int] $Rtt, [int] $Listeners) {
    Start-NtRelay -Path $Relay -RttMs $Rtt -Upstream $idleUpstream -Listeners $Listeners
}
function Get-Requests {
    if ($IdleAccessLog) {
        Start-Sleep -Milliseconds 300   # nginx writes a request's line after its answer has left
        return [System.IO.File]::ReadAllLines($IdleAccessLog).Length
    }
    $stats = Invoke-RestMethod -Uri "$($IdleHttps.TrimEnd('/'))/_emulator/stats"
    $sum = 0L
    foreach ($p in $stats.requests.psobject.Properties) { $sum += [long]$p.Value }   # (stats requests are not counted)
    $sum
}
function Get-IdleCloses {
    if (-not $IdleLog -or -not (Test-Path $IdleLog)) { return 0 }
    @(Select-String -Path $IdleLog -SimpleMatch 'closing a connection idle').Count
}
function VcEp([int] $Port) { "https://127.0.0.1:$Port/v1/oauth2/v2.0/$Tenant/token" }
function Use-ArmorPort([int] $Port) {
    $Global:ArmorSession = [pscustomobject]@{ Server = '127.0.0.1'; Port = $Port; ApiVersion = 'v1.0' }
}
function Measure-Ms([scriptblock] $Call) {
    $t0 = [System.Diagnostics.Stopwatch]::GetTimestamp()
    $null = & $Call
    ([System.Diagnostics.Stopwatch]::GetTimestamp() - $t0) * $UsPerTick / 1000
}

# -- TLS: what the server offers and what each client stack negotiates with it
$idlePort = ([uri]$IdleHttps).Port
$psi = [System.Diagnostics.ProcessStartInfo]::new('openssl')
foreach ($a in 's_client', '-connect', "127.0.0.1:$idlePort", '-brief', '-CAfile', $Cert) { $psi.ArgumentList.Add($a) }
$psi.UseShellExecute = $false; $psi.RedirectStandardInput = $true; $psi.RedirectStandardOutput = $true; $psi.RedirectStandardError = $true
$p = [System.Diagnostics.Process]::Start($psi); $p.StandardInput.Close()
$opensslText = $p.StandardError.ReadToEnd() + $p.StandardOutput.ReadToEnd(); $p.WaitForExit()
$offered = if ($opensslText -match 'Protocol version: (\S+)') { $Matches[1] } else { 'unknown' }
Add-Result 'tls_emulator_with_openssl' "$offered (openssl s_client with OpenSSL's defaults, as the module's native-tls on Linux)"
$tcp = [System.Net.Sockets.TcpClient]::new('127.0.0.1', $idlePort)
$ssl = [System.Net.Security.SslStream]::new($tcp.GetStream())
$ssl.AuthenticateAsClient('127.0.0.1')
Add-Result 'tls_emulator_with_dotnet' "$($ssl.SslProtocol) (SslStream with .NET's defaults, as Invoke-RestMethod)"
$ssl.Dispose(); $tcp.Dispose()

# -- relays: one at RttMs, one at 0 ms (loopback, for after_idle_vs_new)
$relayRuns = [System.Collections.Generic.List[object]]::new()
function Stop-Relays {
    foreach ($run in $relayRuns) { Stop-NtRelay $run }
    $relayRuns.Clear()
}
# The driver's trap ends the script on an error: the relays must not outlive it.
trap { Stop-Relays; break }
$wan = Start-Relay $RttMs (3 + 2 * $wanRounds); $relayRuns.Add($wan)
$lan = Start-Relay 0 (1 + $wanRounds); $relayRuns.Add($lan)
$wanWarm = $wan.Ports[0]; $wanIdleVc = $wan.Ports[1]; $wanIdleArmor = $wan.Ports[2]
$lanIdle = $lan.Ports[0]
$next = @{ Wan = 3; Lan = 1 }
function Get-NewPort([string] $Which) {
    $relayRun = if ($Which -eq 'Wan') { $wan } else { $lan }
    $port = $relayRun.Ports[$next[$Which]]
    $next[$Which]++
    $port
}

$W = [ordered]@{}
foreach ($k in 'first', 'warm', 'after_idle', 'original', 'armor_first', 'armor_warm', 'armor_after_idle', 'original_armor', 'lan_new', 'lan_after_idle') {
    $W[$k] = [System.Collections.Generic.List[double]]::new()
}
# The series measured while the after-idle connections idle; each returns its milliseconds.
$whileIdle = [ordered]@{
    first          = { $ep = VcEp (Get-NewPort 'Wan'); , @(Measure-Ms { New-VcToken -Endpoint $ep -Jwt $Jwt }) }
    armor_first    = { Use-ArmorPort (Get-NewPort 'Wan'); , @(Measure-Ms { New-ArmorApiToken -Code $ArmorCode }) }
    warm           = {
        $ep = VcEp $wanWarm
        $null = New-VcToken -Endpoint $ep -Jwt $Jwt   # (re)opens the connection an idle close may have ended
        , @(for ($i = 0; $i -lt $Plan.WanWarmCalls; $i++) { Measure-Ms { New-VcToken -Endpoint $ep -Jwt $Jwt } })
    }
    armor_warm     = {
        Use-ArmorPort $wanWarm
        $null = New-ArmorApiToken -Code $ArmorCode
        , @(for ($i = 0; $i -lt $Plan.WanWarmCalls; $i++) { Measure-Ms { New-ArmorApiToken -Code $ArmorCode } })
    }
    original       = { $ep = VcEp $wanWarm; , @(Measure-Ms { Invoke-OriginalVcToken -Endpoint $ep -Jwt $Jwt }) }
    original_armor = { Use-ArmorPort $wanWarm; , @(Measure-Ms { Invoke-OriginalArmorApiToken -Code $ArmorCode }) }
    lan_new        = { $ep = VcEp (Get-NewPort 'Lan'); , @(Measure-Ms { New-VcToken -Endpoint $ep -Jwt $Jwt }) }
}
$afterIdle = [ordered]@{
    after_idle       = { $ep = VcEp $wanIdleVc; , @(Measure-Ms { New-VcToken -Endpoint $ep -Jwt $Jwt }) }
    armor_after_idle = { Use-ArmorPort $wanIdleArmor; , @(Measure-Ms { New-ArmorApiToken -Code $ArmorCode }) }
    lan_after_idle   = { $ep = VcEp $lanIdle; , @(Measure-Ms { New-VcToken -Endpoint $ep -Jwt $Jwt }) }
}
$idleWait = [TimeSpan]::FromSeconds($keepalive + [Math]::Max(0.5, 2 * $rtt / 1000))
$requests0 = Get-Requests
$closes0 = Get-IdleCloses
$calls = 0
Write-Step ("WAN: {0} rounds ({1} discarded) at {2} ms RTT{3}" -f $wanRounds, 1, $RttMs,
    $(if ($keepalive -gt 0) { ", each waiting out the server's $keepalive s keep-alive timeout" } else { '' }))
for ($r = 0; $r -lt $wanRounds; $r++) {
    if ($keepalive -gt 0) {
        $null = New-VcToken -Endpoint (VcEp $wanIdleVc) -Jwt $Jwt
        Use-ArmorPort $wanIdleArmor; $null = New-ArmorApiToken -Code $ArmorCode
        $null = New-VcToken -Endpoint (VcEp $lanIdle) -Jwt $Jwt
        $calls += 3
    }
    $primed = [System.Diagnostics.Stopwatch]::StartNew()
    $keys = @($whileIdle.Keys)
    for ($k = 0; $k -lt $keys.Count; $k++) {
        $key = $keys[($k + $r) % $keys.Count]
        $ms = & $whileIdle[$key]
        $calls += $ms.Count + $(if ($key -like '*warm') { 1 } else { 0 })
        if ($r -gt 0) { $W[$key].AddRange([double[]]$ms) }
    }
    if ($keepalive -gt 0) {
        $left = $idleWait - $primed.Elapsed
        if ($left -gt [TimeSpan]::Zero) { Start-Sleep -Milliseconds ([int]$left.TotalMilliseconds) }
        $keys = @($afterIdle.Keys)
        for ($k = 0; $k -lt $keys.Count; $k++) {
            $key = $keys[($k + $r) % $keys.Count]
            $ms = & $afterIdle[$key]
            $calls += $ms.Count
            if ($r -gt 0) { $W[$key].AddRange([double[]]$ms) }
        }
    }
}
$requests = (Get-Requests) - $requests0
$closes = (Get-IdleCloses) - $closes0
$Global:ArmorSession = [pscustomobject]@{ Server = ([uri]$Https).Host; Port = ([uri]$Https).Port; ApiVersion = 'v1.0' }
Stop-Relays

# -- report: in RTT at RttMs, with the rounds' range
$lines = foreach ($k in $W.Keys) { "$k " + (($W[$k] | ForEach-Object { F2 $_ }) -join ' ') }
[System.IO.File]::WriteAllLines((Join-Path $Out 'samples/wan_ms.txt'), [string[]](@("# series, then ms per call (RTT $RttMs ms)") + $lines))
# At RttMs 0 (tests/bench/nginx-check on loopback) the same lines are in ms: loopback_*_ms.
function Add-WanRtt([string] $Name, [string] $Key, [double] $Target = 0) {
    $v = $W[$Key].ToArray()
    if ($rtt -eq 0) { $Name = $Name -replace '^wan_', 'loopback_' -replace '_rtt$', '_ms' }
    if ($v.Length -eq 0) { Add-Result $Name 'n/a (the server does not close idle connections)'; return [double]::NaN }
    $sorted = [double[]]$v.Clone(); [Array]::Sort($sorted)
    $medianMs = Get-Median $v
    if ($rtt -eq 0) {
        Add-Result $Name ("{0} (range {1} .. {2} ms over {3} calls)" -f (F2 $medianMs), (F2 $sorted[0]), (F2 $sorted[$sorted.Length - 1]), $v.Length)
        return $medianMs
    }
    $median = $medianMs / $rtt
    Add-Result $Name ("{0} ({1} ms median; range {2} .. {3} RTT over {4} calls)" -f (F2 $median), (F1 $medianMs),
        (F2 ($sorted[0] / $rtt)), (F2 ($sorted[$sorted.Length - 1] / $rtt)), $v.Length)
    if ($Target -gt 0) { Add-Goal $Name $median '<=' $Target }
    $median
}
if ($rtt -gt 0) { Add-Result 'wan_rtt_ms' $RttMs }
$wFirst = Add-WanRtt 'wan_first_rtt' 'first' 3.3
$wWarm = Add-WanRtt 'wan_warm_rtt' 'warm' 1.1
$wIdle = Add-WanRtt 'wan_after_idle_rtt' 'after_idle' 3.3
$wOriginal = Add-WanRtt 'wan_original_rtt' 'original'
$null = Add-WanRtt 'wan_armor_first_rtt' 'armor_first'
$null = Add-WanRtt 'wan_armor_warm_rtt' 'armor_warm'
$null = Add-WanRtt 'wan_armor_after_idle_rtt' 'armor_after_idle'
$null = Add-WanRtt 'wan_original_armor_rtt' 'original_armor'
if ($rtt -gt 0) {
    # Round trips each kind of call took, against the fewest it can take: a TCP handshake (1), a
    # TLS 1.3 handshake (1; TLS 1.2: 2) and the request (1). A warm call over 1 would mean a
    # stall (Nagle's algorithm holding back part of the request behind a delayed ACK).
    $rounded = { param($v) if ([double]::IsNaN($v)) { 'n/a' } else { [Math]::Round($v) } }
    Add-Result 'wan_round_trips' ("first {0} (fewest 3), warm {1} (fewest 1), after idle {2} (fewest 3), VenafiPS way {3} (fewest 3)" -f
        (& $rounded $wFirst), (& $rounded $wWarm), (& $rounded $wIdle), (& $rounded $wOriginal))
    Add-Result 'wan_first_tls_handshake_rtt' ("{0} (the first call less its TCP handshake and its request; TLS 1.3 needs 1, TLS 1.2 2)" -f (F2 ($wFirst - 2)))
}
Add-Result 'wan_requests_per_call' ("{0} ({1} requests for {2} calls)" -f (F2 ($requests / $calls)), $requests, $calls)
if ($keepalive -gt 0) {
    if ($IdleLog) { Add-Result 'wan_idle_closes' "$closes connections closed by the server after $keepalive s idle (at least 3 a round: $(3 * $wanRounds))" }
    $lanNew = Get-Median $W.lan_new.ToArray(); $lanIdleMs = Get-Median $W.lan_after_idle.ToArray()
    Add-Result 'loopback_new_connection_ms' (F2 $lanNew)
    Add-Result 'loopback_after_idle_ms' (F2 $lanIdleMs)
    Add-Result 'after_idle_vs_new' (F2 ($lanIdleMs / $lanNew))
    $perRound = [double[]]::new([Math]::Min($W.lan_new.Count, $W.lan_after_idle.Count))
    for ($i = 0; $i -lt $perRound.Length; $i++) { $perRound[$i] = $W.lan_after_idle[$i] / $W.lan_new[$i] }
    Add-Result 'after_idle_vs_new_per_round' (Get-Range $perRound)
    Add-Goal 'after_idle_vs_new' ($lanIdleMs / $lanNew) '<=' 1.2
}
else {
    Add-Result 'after_idle_vs_new' 'n/a (the idle emulator does not close idle connections)'
}
