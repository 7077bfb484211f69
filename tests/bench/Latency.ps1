# Per-call latency in interleaved rounds (dot-sourced by Bench.ps1): every in-process series, the
# module alone in its own pwsh and the C floor; Add-LatencyResults reports percentiles, ratios
# (with their goals) and the two states. Leaves the C floor ($floor) running for Memory.ps1.

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

$BySeries = @{}; foreach ($s in $Series) { $BySeries[$s.Name] = $s }
function P([string] $Name, [double] $Q) { Get-Percentile $BySeries[$Name].Samples.ToArray() $Q }
function RM([string] $Name) { , $BySeries[$Name].RoundMedians.ToArray() }

# A ratio of medians (Num over the sum of Den) for the whole run and per round; a goal when Op is given.
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

function Add-LatencyResults {
    # -- per-call latency
    foreach ($name in 'original_vc', 'original_vc_tls', 'original_armor_tls', 'ps_httpclient', 'ps_httpclient_tls',
        'vc_call', 'vc_call_tls', 'armor_call_tls', 'vc_call_alone', 'vc_call_alone_tls', 'native_floor', 'native_floor_tls', 'empty_cmdlet') {
        Add-Result "${name}_us_p50" (F1 (P $name 0.5))
        Add-Result "${name}_us_p99" (F1 (P $name 0.99))
    }
    Add-Result 'ps_timer_floor_us_p50' (F2 (P 'ps_timer_floor' 0.5))

    # -- ratios: medians of the whole run, and the range of the same ratio per round
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
    # state or in a markedly slower one (most likely the client and the emulator being woken on
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

}
