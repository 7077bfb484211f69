# The benchmark driver's helpers (tests/bench/Bench.ps1 dot-sources this first): progress and
# result lines, goals, statistics, child processes and /proc readers. Every measuring file uses
# them; none of them measures anything.

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
