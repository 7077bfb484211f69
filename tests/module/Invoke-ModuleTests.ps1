<#
.SYNOPSIS
Runs the NativeToken module's Pester suite (tests/module/*.Tests.ps1) with the pinned Pester.

.DESCRIPTION
Imports Pester from the path recorded in <repo>/target/tools/pester.psd1 (scripts/restore-tools
writes it), runs the suite, writes NUnit XML to <repo>/target/pester/results.xml and ends with
the line `Pester: Passed: <n>, Failed: <n>, Skipped: <n>`. Exits 1 when anything failed
(a test, a BeforeAll/AfterAll block or a whole file), else 0.

The module under test is $env:NATIVETOKEN_TEST_MODULE (default <repo>/out/NativeToken/NativeToken.psd1);
the emulator and the proxy are $env:NATIVETOKEN_EMULATOR and $env:NATIVETOKEN_PROXY (default
<repo>/target/debug/native-token-emulator and native-token-proxy).

.EXAMPLE
scripts/pwsh -NoProfile -File tests/module/Invoke-ModuleTests.ps1 -ExcludeTag Compiled

.EXAMPLE
scripts/pwsh -NoProfile -File tests/module/Invoke-ModuleTests.ps1 -Path tests/module/Faults.Tests.ps1 -Output Detailed
#>
[CmdletBinding()]
param(
    # Test files or folders to run (default: all of tests/module).
    [string[]] $Path,
    # Run only tests with one of these tags.
    [string[]] $Tag,
    # Skip tests with one of these tags (e.g. Compiled while the compiled module does not exist).
    [string[]] $ExcludeTag,
    # Pester's output verbosity.
    [ValidateSet('None', 'Normal', 'Detailed', 'Diagnostic')]
    [string] $Output = 'Normal'
)

$ErrorActionPreference = 'Stop'

# pwsh -File passes `-Tag a,b` as one string: split such lists.
$Path = @($Path | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$Tag = @($Tag | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$ExcludeTag = @($ExcludeTag | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$repo = [System.IO.Path]::GetFullPath((Join-Path $PSScriptRoot (Join-Path '..' '..')))

$pesterRecord = Join-Path $repo (Join-Path 'target' (Join-Path 'tools' 'pester.psd1'))
if (-not (Test-Path -LiteralPath $pesterRecord)) {
    throw "$pesterRecord is missing: run scripts/restore-tools first."
}
Import-Module -Name (Get-Content -LiteralPath $pesterRecord -TotalCount 1).Trim() -ErrorAction Stop

$module = if ($env:NATIVETOKEN_TEST_MODULE) { $env:NATIVETOKEN_TEST_MODULE } else { Join-Path $repo (Join-Path 'out' (Join-Path 'NativeToken' 'NativeToken.psd1')) }
if (-not (Test-Path -LiteralPath $module)) {
    throw "The module under test $module does not exist: build it (scripts/build) or set NATIVETOKEN_TEST_MODULE."
}
Write-Host "Module under test: $module"

$resultsFolder = Join-Path $repo (Join-Path 'target' 'pester')
$null = New-Item -ItemType Directory -Path $resultsFolder -Force

$configuration = New-PesterConfiguration
$configuration.Run.Path = if ($Path) { @($Path | ForEach-Object { (Resolve-Path -LiteralPath $_).Path }) } else { @($PSScriptRoot) }
$configuration.Run.PassThru = $true
$configuration.Run.Exit = $false
if ($Tag) { $configuration.Filter.Tag = $Tag }
if ($ExcludeTag) { $configuration.Filter.ExcludeTag = $ExcludeTag }
$configuration.Output.Verbosity = $Output
$configuration.TestResult.Enabled = $true
$configuration.TestResult.OutputFormat = 'NUnitXml'
$configuration.TestResult.OutputPath = Join-Path $resultsFolder 'results.xml'

$result = Invoke-Pester -Configuration $configuration

# A failed BeforeAll fails the tests under it, but a failed AfterAll or a file that could not
# run fails no test: count those too, so the line never says 0 failed when the run failed.
function Get-FailedTestCount($Block) {
    @($Block.Tests | Where-Object Result -EQ 'Failed').Count + ($Block.Blocks | ForEach-Object { Get-FailedTestCount $_ } | Measure-Object -Sum).Sum
}
$failed = $result.FailedCount + $result.FailedContainersCount +
    @($result.FailedBlocks | Where-Object { (Get-FailedTestCount $_) -eq 0 }).Count
Write-Host "Pester: Passed: $($result.PassedCount), Failed: $failed, Skipped: $($result.SkippedCount)"
if ($failed -gt 0) { exit 1 }
exit 0
