# The first token in a fresh pwsh (dot-sourced by Bench.ps1): the module, the VenafiPS way, the
# empty compiled module and the C program, each started anew every round; Add-FreshProcessResults
# reports them (ms; medians over the rounds).

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

function Add-FreshProcessResults {
    # Fresh processes. The time a process adds to a fresh pwsh is taken from the script's first
    # statement to the process's exit: what comes before (pwsh starting, up to the first statement of
    # the same script) is the same work in every mode, and on this shared VM it alone varies from
    # process to process by more than the module's whole first token. The literal difference of
    # wall times is reported too (first_token_wall_*).
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
}
