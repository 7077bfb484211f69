# Throughput (dot-sourced by Bench.ps1): tokens per second from 2 runspaces against 1, over HTTP,
# with the CPU time of this process and of the emulator; Add-ThroughputResults reports it. Leaves
# the runspaces ($rsA, $rsB) open for Memory.ps1.

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

function Add-ThroughputResults {
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
}
