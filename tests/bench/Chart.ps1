# The latency chart of tests/bench: dot-sourced by Bench.ps1.
#
# Write-LatencySvg: two panels over one log-scale time axis, every call of every series: the
# empirical CDF (the body of the distribution), and below it the tail, 1 - CDF on a log scale
# (p50 .. p99.9). Each series: Name, Label, Color, Samples (µs).

function Write-LatencySvg {
    param(
        [Parameter(Mandatory)] [string] $Path,
        [Parameter(Mandatory)] [object[]] $Series,
        [string] $Subtitle = ''
    )
    $inv = [System.Globalization.CultureInfo]::InvariantCulture
    $W = 1000.0; $L = 80.0; $Rm = 330.0; $T = 60.0; $Ph1 = 380.0; $Gap = 60.0; $Ph2 = 220.0; $B = 50.0
    $legendRows = $Series.Count * 40 + 20
    if ($Ph1 + $Gap + $Ph2 -lt $legendRows) { $Ph1 = $legendRows - $Gap - $Ph2 }
    $pw = $W - $L - $Rm; $t2 = $T + $Ph1 + $Gap; $H = $t2 + $Ph2 + $B

    $sorted = @{}
    $min = [double]::MaxValue; $max = 0.0
    foreach ($s in $Series) {
        $v = $s.Samples.ToArray()
        [Array]::Sort($v)
        $sorted[$s.Name] = $v
        if ($v.Length -gt 0) {
            $first = 0
            while ($first -lt $v.Length -and $v[$first] -le 0) { $first++ }
            if ($first -lt $v.Length -and $v[$first] -lt $min) { $min = $v[$first] }
            if ($v[$v.Length - 1] -gt $max) { $max = $v[$v.Length - 1] }
        }
    }
    $lo = [Math]::Pow(10, [Math]::Floor([Math]::Log10($min)))
    $hi = [Math]::Pow(10, [Math]::Ceiling([Math]::Log10($max)))
    $logLo = [Math]::Log10($lo); $logSpan = [Math]::Log10($hi) - $logLo

    function N([double] $x) { $x.ToString('0.#', $inv) }
    function X([double] $us) { $L + ([Math]::Log10([Math]::Min([Math]::Max($us, $lo), $hi)) - $logLo) / $logSpan * $pw }
    function Y1([double] $p) { $T + (1 - $p) * $Ph1 }
    function Y2([double] $q) { $t2 + (-[Math]::Log10([Math]::Max($q, 1e-3))) / 3.0 * $Ph2 }   # 1 - CDF from 1 to 0.001
    function Unit([double] $us) {
        if ($us -ge 1000) { ($us / 1000).ToString('0.##', $inv) + ' ms' }
        elseif ($us -ge 100) { $us.ToString('0', $inv) + ' µs' }
        else { $us.ToString('0.#', $inv) + ' µs' }
    }
    function Esc([string] $s) { $s.Replace('&', '&amp;').Replace('<', '&lt;').Replace('>', '&gt;') }
    function Pct([double[]] $v, [double] $q) { $v[[Math]::Max(0, [Math]::Min([int][Math]::Ceiling($q * $v.Length) - 1, $v.Length - 1))] }

    $sb = [System.Text.StringBuilder]::new()
    function E([string] $line) { $null = $sb.Append($line).Append("`n") }
    function XGrid([double] $top, [double] $height) {
        for ($d = $lo; $d -le $hi * 1.0001; $d *= 10) {
            E "<line x1=`"$(N (X $d))`" y1=`"$(N $top)`" x2=`"$(N (X $d))`" y2=`"$(N ($top + $height))`" stroke=`"#bbb`"/>"
            E "<text x=`"$(N (X $d))`" y=`"$(N ($top + $height + 18))`" text-anchor=`"middle`">$(Esc (Unit $d))</text>"
            if ($d -lt $hi) {
                foreach ($m in 2.0, 5.0) {
                    E "<line x1=`"$(N (X ($d * $m)))`" y1=`"$(N $top)`" x2=`"$(N (X ($d * $m)))`" y2=`"$(N ($top + $height))`" stroke=`"#e8e8e8`"/>"
                }
            }
        }
    }

    E "<svg xmlns=`"http://www.w3.org/2000/svg`" width=`"$(N $W)`" height=`"$(N $H)`" viewBox=`"0 0 $(N $W) $(N $H)`" font-family=`"Helvetica, Arial, sans-serif`" font-size=`"12`">"
    E "<rect width=`"$(N $W)`" height=`"$(N $H)`" fill=`"#ffffff`"/>"
    E "<text x=`"$(N $L)`" y=`"24`" font-size=`"16`" font-weight=`"bold`">New-VcToken, New-ArmorApiToken and the originals' way: time per call (log scale; left is faster)</text>"
    E "<text x=`"$(N $L)`" y=`"42`" fill=`"#555`">$(Esc $Subtitle)</text>"

    # Panel 1: CDF.
    XGrid $T $Ph1
    foreach ($p in 0.0, 0.25, 0.5, 0.75, 1.0) {
        $dash = if ($p -eq 0.5) { ' stroke-dasharray="4 3"' } else { '' }
        $label = if ($p -eq 0.5) { 'p50' } else { $p.ToString('0.##', $inv) }
        E "<line x1=`"$(N $L)`" y1=`"$(N (Y1 $p))`" x2=`"$(N ($L + $pw))`" y2=`"$(N (Y1 $p))`" stroke=`"#ccc`"$dash/>"
        E "<text x=`"$(N ($L - 6))`" y=`"$(N ((Y1 $p) + 4))`" text-anchor=`"end`">$label</text>"
    }
    E "<rect x=`"$(N $L)`" y=`"$(N $T)`" width=`"$(N $pw)`" height=`"$(N $Ph1)`" fill=`"none`" stroke=`"#333`"/>"
    E "<text transform=`"translate(20 $(N ($T + $Ph1 / 2))) rotate(-90)`" text-anchor=`"middle`">fraction of calls this fast or faster</text>"

    # Panel 2: tail.
    E "<text x=`"$(N $L)`" y=`"$(N ($t2 - 10))`" font-weight=`"bold`">Tail: fraction of calls slower than x (log scale)</text>"
    XGrid $t2 $Ph2
    foreach ($pair in @(@(1.0, '1'), @(0.5, 'p50'), @(0.1, '0.1 · p90'), @(0.01, '0.01 · p99'), @(0.001, 'p99.9'))) {
        E "<line x1=`"$(N $L)`" y1=`"$(N (Y2 $pair[0]))`" x2=`"$(N ($L + $pw))`" y2=`"$(N (Y2 $pair[0]))`" stroke=`"#ccc`"/>"
        E "<text x=`"$(N ($L - 6))`" y=`"$(N ((Y2 $pair[0]) + 4))`" text-anchor=`"end`" font-size=`"11`">$($pair[1])</text>"
    }
    E "<rect x=`"$(N $L)`" y=`"$(N $t2)`" width=`"$(N $pw)`" height=`"$(N $Ph2)`" fill=`"none`" stroke=`"#333`"/>"
    E "<text x=`"$(N ($L + $pw / 2))`" y=`"$(N ($H - 12))`" text-anchor=`"middle`">time per call</text>"

    $row = 0
    foreach ($s in $Series) {
        $v = $sorted[$s.Name]
        if ($v.Length -eq 0) { continue }
        # CDF: at most 600 points.
        $m = [Math]::Min($v.Length, 600)
        $cdf = [System.Text.StringBuilder]::new()
        for ($k = 0; $k -lt $m; $k++) {
            $idx = if ($m -eq 1) { 0 } else { [int][Math]::Round($k * ($v.Length - 1.0) / ($m - 1)) }
            $null = $cdf.Append((N (X $v[$idx]))).Append(',').Append((N (Y1 (($idx + 1.0) / $v.Length)))).Append(' ')
        }
        E "<polyline fill=`"none`" stroke=`"$($s.Color)`" stroke-width=`"2`" points=`"$($cdf.ToString().TrimEnd())`"/>"
        # Tail: the samples from p50 up (1 - F from 0.5 down to 1/n), at most 400 points.
        $tail = [System.Text.StringBuilder]::new()
        $from = [int][Math]::Floor($v.Length * 0.5)
        $step = [Math]::Max(1, [int][Math]::Floor(($v.Length - 1 - $from) / 400))
        for ($idx = $from; $idx -lt $v.Length - 1; $idx += $step) {
            $null = $tail.Append((N (X $v[$idx]))).Append(',').Append((N (Y2 (1 - ($idx + 1.0) / $v.Length)))).Append(' ')
        }
        if ($tail.Length -gt 0) {
            E "<polyline fill=`"none`" stroke=`"$($s.Color)`" stroke-width=`"1.6`" points=`"$($tail.ToString().TrimEnd())`"/>"
        }
        $ly = $T + 8 + $row * 40; $lx = $L + $pw + 16
        E "<line x1=`"$(N $lx)`" y1=`"$(N $ly)`" x2=`"$(N ($lx + 22))`" y2=`"$(N $ly)`" stroke=`"$($s.Color)`" stroke-width=`"3`"/>"
        E "<text x=`"$(N ($lx + 30))`" y=`"$(N ($ly + 4))`">$(Esc $s.Label)</text>"
        E "<text x=`"$(N ($lx + 30))`" y=`"$(N ($ly + 19))`" fill=`"#555`">$(Esc ("p50 {0}   p99 {1}   n={2}" -f (Unit (Pct $v 0.5)), (Unit (Pct $v 0.99)), $v.Length))</text>"
        $row++
    }
    E '</svg>'
    [System.IO.File]::WriteAllText($Path, $sb.ToString())
}
