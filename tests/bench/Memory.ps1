# Memory (dot-sourced by Bench.ps1 after Latency.ps1 and Throughput.ps1): RSS growth of this
# process per 10k calls of the module and of the empty cmdlet, and the C floor's own figures; then
# ends the C floor and the runspaces. Add-MemoryResults reports it.

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

function Add-MemoryResults {
    $gRss = Get-Median $rssModule
    Add-Result 'rss_growth_kib_per_10k_calls' (F0 $gRss)
    Add-Result 'rss_growth_kib_per_10k_calls_segments' (($rssModule | ForEach-Object { F0 $_ }) -join ' ')
    Add-Goal 'rss_growth_kib_per_10k_calls' $gRss '<=' 256
    Add-Result 'rss_growth_empty_cmdlet_kib_per_10k_calls' ("{0} (segments {1})" -f (F0 (Get-Median $rssEmpty)), (($rssEmpty | ForEach-Object { F0 $_ }) -join ' '))
    Add-Result 'native_floor_rss_growth_kib_per_10k_calls' (F0 (($floorStats[1] - $floorStats[0]) * 10000.0 / $Plan.RssCalls))
    Add-Result 'native_floor_cpu_us_per_call' (F1 $floorStats[2])
    Add-Result 'native_floor_context_switches_per_call' (F2 $floorStats[3])
    Add-Result 'rss_kib_end' (Read-VmRssKib)
}
