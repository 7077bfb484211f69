<#
.SYNOPSIS
The one way to build, package and test NativeToken, on every OS: here through scripts/build,
scripts/package and scripts/test-all, and in .github/workflows/release.yml on Linux, Windows and
macOS.

.DESCRIPTION
Restores the pinned PowerShell modules when one is missing (Invoke-Build and Pester, pinned in
build/tools/PowerShellModules.csproj and restored from NuGet), records where each is in
target/tools/ (Invoke-ModuleTests.ps1 reads target/tools/pester.psd1), then runs the tasks asked
for with Invoke-Build. The tasks are in NativeToken.build.ps1; `./build.ps1 ?` lists them.

Run it in the repository's pinned pwsh (dotnet-tools.json): scripts/pwsh here, `dotnet pwsh`
after `dotnet tool restore` elsewhere.

.EXAMPLE
scripts/pwsh -NoProfile -File build.ps1
Builds everything (task Build): the module as it ships in out/NativeToken/, the emulator and the
proxy in target/debug/.

.EXAMPLE
scripts/pwsh -NoProfile -File build.ps1 Package
Also publishes out/repo/NativeToken.<version>.nupkg.

.EXAMPLE
scripts/pwsh -NoProfile -File build.ps1 LibraryArtifact -Rid osx-arm64
The release workflow's build of one platform's native library, into out/dist/lib/osx-arm64/.
#>
[CmdletBinding()]
param(
    # The tasks to run (NativeToken.build.ps1), in order; `?` lists them.
    [Parameter(Position = 0)]
    [string[]] $Task = @('Build'),

    # The platform (a Rid of build/platforms.csv) to build the native library for with an explicit
    # Rust target; by default this machine's, built for the host.
    [string] $Rid,

    # A folder with lib/<rid>/<library> built elsewhere (the release workflow's), laid into the
    # module beside the library built here; default: $env:NATIVETOKEN_PREBUILT_LIBS.
    [string] $PrebuiltLibs,

    # The PowerShell the Pester suite runs in (task Test): pwsh (this one) or powershell
    # (Windows PowerShell 5.1).
    [ValidateSet('pwsh', 'powershell')]
    [string] $TestHost
)

$ErrorActionPreference = 'Stop'
Set-StrictMode -Version 3.0

# Where a pinned module's manifest is, recorded in target/tools/<record> so that a later run (and
# the test runner) need not ask NuGet again.
$pinnedModules = @(
    @{ Id = 'Invoke-Build'; Manifest = 'InvokeBuild.psd1'; Record = 'invokebuild.psd1' }
    @{ Id = 'Pester'; Manifest = 'Pester.psd1'; Record = 'pester.psd1' }
)

function Get-PinnedVersion([string] $Id) {
    $project = [xml][System.IO.File]::ReadAllText((Join-Path $PSScriptRoot 'build/tools/PowerShellModules.csproj'))
    $download = $project.Project.ItemGroup.PackageDownload | Where-Object Include -EQ $Id
    if (-not $download) { throw "build/tools/PowerShellModules.csproj pins no $Id." }
    # NuGet's exact-version form: [1.2.3].
    $download.Version.Trim('[', ']')
}

function Get-NuGetPackagesFolder {
    $line = (& dotnet nuget locals global-packages --list) -join ''
    if ($LASTEXITCODE) { throw 'dotnet nuget locals global-packages --list failed.' }
    ($line -replace '^global-packages:\s*', '').Trim()
}

# Returns every pinned module (Id, Version, Path of its manifest), restoring build/tools first when
# one is not where NuGet puts it; quick when the records are current.
function Restore-PinnedModules {
    $records = Join-Path $PSScriptRoot 'target/tools'
    $null = New-Item -ItemType Directory -Force -Path $records
    $wanted = foreach ($module in $pinnedModules) {
        $version = Get-PinnedVersion $module.Id
        $tail = [System.IO.Path]::Combine($module.Id.ToLowerInvariant(), $version, 'tools', $module.Manifest)
        $record = Join-Path $records $module.Record
        $recorded = if (Test-Path -LiteralPath $record) { (Get-Content -LiteralPath $record -TotalCount 1).Trim() }
        $current = $recorded -and $recorded.EndsWith($tail) -and (Test-Path -LiteralPath $recorded)
        [pscustomobject]@{ Id = $module.Id; Version = $version; Tail = $tail; Record = $record; Path = $(if ($current) { $recorded }) }
    }
    $missing = @($wanted | Where-Object { -not $_.Path })
    if ($missing) {
        $packages = Get-NuGetPackagesFolder
        foreach ($module in $missing) { $module.Path = Join-Path $packages $module.Tail }
        if (@($missing | Where-Object { -not (Test-Path -LiteralPath $_.Path) })) {
            [Console]::Error.WriteLine("build: restoring $(($missing | ForEach-Object { "$($_.Id) $($_.Version)" }) -join ', ') (dotnet restore build/tools)")
            & dotnet restore (Join-Path $PSScriptRoot 'build/tools') --nologo -v q
            if ($LASTEXITCODE) { throw 'dotnet restore build/tools failed.' }
        }
        foreach ($module in $missing) {
            if (-not (Test-Path -LiteralPath $module.Path)) { throw "$($module.Id) is not at $($module.Path) after the restore." }
            [System.IO.File]::WriteAllText("$($module.Record).tmp", "$($module.Path)`n")
            Move-Item -LiteralPath "$($module.Record).tmp" -Destination $module.Record -Force
        }
    }
    $wanted
}

$modules = Restore-PinnedModules
Import-Module ($modules | Where-Object Id -EQ 'Invoke-Build').Path

# pwsh -File passes `Build,Test` as one string: split such lists.
$Task = @($Task | ForEach-Object { $_ -split ',' } | Where-Object { $_ })
$parameters = @{}
foreach ($name in $PSBoundParameters.Keys) {
    if ($name -ne 'Task') { $parameters[$name] = $PSBoundParameters[$name] }
}
Invoke-Build -Task $Task -File (Join-Path $PSScriptRoot 'NativeToken.build.ps1') @parameters
