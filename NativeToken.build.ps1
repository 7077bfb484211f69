<#
.SYNOPSIS
NativeToken's build tasks (Invoke-Build). Run them through build.ps1, which restores Invoke-Build:
`scripts/pwsh -NoProfile -File build.ps1 [Task...] [-Rid <rid>] [-PrebuiltLibs <dir>] ...`.

.DESCRIPTION
The one owner of: the crate version (Cargo.toml's [package] version, which the module ships as
its ModuleVersion), the platform table (build/platforms.csv: Rid, RustTarget, Library, one row per
platform the release ships), the module's layout in out/NativeToken/, and how the
release workflow builds each platform's library and checks the package.
#>
param(
    [string] $Rid,
    [string] $PrebuiltLibs = $env:NATIVETOKEN_PREBUILT_LIBS,
    [ValidateSet('pwsh', 'powershell')]
    [string] $TestHost = 'pwsh'
)

Set-StrictMode -Version 3.0

# --- What the tasks share -----------------------------------------------------------------------

# The crate's version is the module's: MAJOR.MINOR.PATCH, as ModuleVersion needs.
function Get-CrateVersion {
    $toml = [System.IO.File]::ReadAllText((Join-Path $BuildRoot 'Cargo.toml'))
    $match = [regex]::Match($toml, '(?ms)^\[package\][^\[]*?^version\s*=\s*"([^"]+)"')
    if (-not $match.Success) { throw 'Cargo.toml has no [package] version.' }
    $version = $match.Groups[1].Value
    if ($version -notmatch '^\d+\.\d+\.\d+$') {
        throw "The crate version '$version' in Cargo.toml is not MAJOR.MINOR.PATCH, which ModuleVersion needs."
    }
    $version
}

# Every platform the release ships (build/platforms.csv): Rid (the module's lib/<rid>/ folder, the
# runtime id .NET uses), RustTarget (the release workflow's Rust target for it) and Library (the
# native library's file name there).
function Get-Platform([string] $Id) {
    $platforms = Import-Csv -LiteralPath (Join-Path $BuildRoot 'build/platforms.csv')
    if (-not $Id) { return $platforms }
    $platform = $platforms | Where-Object Rid -EQ $Id
    if (-not $platform) { throw "build/platforms.csv has no platform '$Id' (it has $($platforms.Rid -join ', '))." }
    $platform
}

# This machine's platform, as the module names it.
function Get-HostRid {
    $os = if ($IsWindows) { 'win' } elseif ($IsMacOS) { 'osx' } elseif ($IsLinux) { 'linux' } else { throw 'build: unsupported OS.' }
    $architecture = switch ([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture) {
        'X64' { 'x64' }
        'Arm64' { 'arm64' }
        default { throw "build: unsupported architecture $_." }
    }
    "$os-$architecture"
}

# The platform built for: -Rid, else this machine's.
function Get-TargetPlatform {
    Get-Platform $(if ($Rid) { $Rid } else { Get-HostRid })
}

# Where cargo puts the release library: target/release/ for the host, target/<triple>/release/
# for an explicit -Rid.
function Get-BuiltLibrary {
    $platform = Get-TargetPlatform
    $folder = if ($Rid) { "target/$($platform.RustTarget)/release" } else { 'target/release' }
    Join-Path $BuildRoot "$folder/$($platform.Library)"
}

# Runs a script block with environment variables set ($null: removed), restored afterwards.
function Invoke-WithEnvironment([hashtable] $Environment, [scriptblock] $Script) {
    $saved = @{}
    foreach ($name in $Environment.Keys) {
        $saved[$name] = [Environment]::GetEnvironmentVariable($name)
        [Environment]::SetEnvironmentVariable($name, $Environment[$name])
    }
    try { & $Script }
    finally {
        foreach ($name in $saved.Keys) { [Environment]::SetEnvironmentVariable($name, $saved[$name]) }
    }
}

# cargo: scripts/cargo where bash runs it (Debian's packaged crates when installed, else plain
# cargo against crates.io), plain cargo on Windows.
function Invoke-Cargo {
    $arguments = $args
    $cargo = if ($IsWindows) { 'cargo' } else { Join-Path $BuildRoot 'scripts/cargo' }
    exec { & $cargo @arguments }
}

# The command line of a new process of this PowerShell: the pinned pwsh runs as `dotnet pwsh.dll`.
# Callers wrap it in @(): one element (an apphost pwsh) comes back as a string.
function Get-PwshCommand {
    $path = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
    if ([System.IO.Path]::GetFileNameWithoutExtension($path) -eq 'dotnet') {
        return @($path, (Join-Path $PSHOME 'pwsh.dll'))
    }
    @($path)
}

# Copies a native library as it ships: without debug info (the release profile keeps it for
# profiling, tests/bench). On Linux with binutils' strip; elsewhere the library has none in it
# (MSVC keeps it in a .pdb, Apple's linker in the object files).
function Copy-ShippedLibrary([string] $Source, [string] $Destination) {
    $null = New-Item -ItemType Directory -Force -Path (Split-Path $Destination)
    if ($IsLinux -and (Get-Command strip -CommandType Application -ErrorAction Ignore)) {
        exec { strip --strip-debug -o $Destination $Source }
    }
    else {
        Copy-Item -LiteralPath $Source -Destination $Destination -Force
    }
}

# Replaces a folder by renames: a running pwsh may have the previous module's NativeToken.dll or
# native library mapped, so no file is rewritten in place.
function Install-Folder([string] $Stage, [string] $Destination) {
    $old = Join-Path (Split-Path $Destination) ".$(Split-Path $Destination -Leaf).old"
    if (Test-Path -LiteralPath $Destination) {
        Remove-Item -LiteralPath $old -Recurse -Force -ErrorAction Ignore
        Move-Item -LiteralPath $Destination -Destination $old
    }
    Move-Item -LiteralPath $Stage -Destination $Destination
    Remove-Item -LiteralPath $old -Recurse -Force -ErrorAction Ignore
}

# The module manifest as it ships: ModuleVersion from Cargo.toml, FileList = every file shipped.
function Write-ShippedManifest([string] $Folder) {
    $files = @(Get-ChildItem -LiteralPath $Folder -Recurse -File |
            ForEach-Object { [System.IO.Path]::GetRelativePath($Folder, $_.FullName).Replace('\', '/') }) + 'NativeToken.psd1'
    $files = [string[]]@($files | Select-Object -Unique)
    [Array]::Sort($files, [StringComparer]::Ordinal)
    $fileList = ($files | ForEach-Object { "'$_'" }) -join ', '
    $version = Get-CrateVersion
    $manifest = [System.IO.File]::ReadAllText((Join-Path $BuildRoot 'powershell/NativeToken.psd1'))
    $manifest = $manifest -replace "(?m)^( *ModuleVersion *= *)'[^']*'", "`${1}'$version'"
    $manifest = $manifest -replace '(?m)^( *FileList *= *)@\(.*\)', "`${1}@($fileList)"
    if ($manifest -notmatch "ModuleVersion *= *'$([regex]::Escape($version))'") { throw 'build: could not stamp ModuleVersion in the manifest.' }
    [System.IO.File]::WriteAllText((Join-Path $Folder 'NativeToken.psd1'), $manifest)
}

# The platform a native library is for, from its header (ELF, PE or 64-bit Mach-O; their
# machine fields), as a Rid: so a library for the wrong platform is caught on any build machine.
function Get-LibraryRid([string] $Path) {
    $bytes = [System.IO.File]::ReadAllBytes((Convert-Path -LiteralPath $Path))
    $u16 = { param($at) [BitConverter]::ToUInt16($bytes, $at) }
    $u32 = { param($at) [BitConverter]::ToUInt32($bytes, $at) }
    if ($bytes.Length -lt 64) { return 'unknown' }
    if ((& $u32 0) -eq 0x464C457F) {
        $os, $machine = 'linux', (& $u16 18)
        $architecture = @{ 0x3E = 'x64'; 0xB7 = 'arm64' }[[int]$machine]
    }
    elseif ((& $u16 0) -eq 0x5A4D) {
        $header = & $u32 0x3C
        if ($header + 6 -gt $bytes.Length -or (& $u32 $header) -ne 0x4550) { return 'unknown' }
        $os, $machine = 'win', (& $u16 ($header + 4))
        $architecture = @{ 0x8664 = 'x64'; 0xAA64 = 'arm64' }[[int]$machine]
    }
    elseif ((& $u32 0) -eq 0xFEEDFACFu) {
        $os, $machine = 'osx', (& $u32 4)
        $architecture = @{ 0x01000007 = 'x64'; 0x0100000C = 'arm64' }[[int]$machine]
    }
    else { return 'unknown' }
    if (-not $architecture) { $architecture = 'machine 0x{0:X}' -f $machine }
    "$os-$architecture"
}

# Fails unless the library at Path is for the platform Rid.
function Assert-LibraryRid([string] $Path, [string] $Rid) {
    $actual = Get-LibraryRid $Path
    assert ($actual -eq $Rid) "$Path is a $actual library, not a $Rid one"
}

# Copies the libraries of the folder given with -PrebuiltLibs (lib/<rid>/<library>) into a
# module's lib/: they win over the one built here for the same platform.
function Copy-PrebuiltLibraries([string] $Destination) {
    if (-not $PrebuiltLibs) { return }
    $lib = Join-Path $PrebuiltLibs 'lib'
    if (-not (Test-Path -LiteralPath $lib -PathType Container)) { throw "build: $PrebuiltLibs (-PrebuiltLibs, NATIVETOKEN_PREBUILT_LIBS) has no lib/ folder." }
    $lib = Convert-Path -LiteralPath $lib
    foreach ($library in Get-ChildItem -LiteralPath $lib -Recurse -File) {
        Assert-LibraryRid $library.FullName $library.Directory.Name
        $copy = Join-Path $Destination ([System.IO.Path]::GetRelativePath($lib, $library.FullName))
        $null = New-Item -ItemType Directory -Force -Path (Split-Path $copy)
        Copy-Item -LiteralPath $library.FullName -Destination $copy -Force
    }
}

# --- Building -----------------------------------------------------------------------------------

# Synopsis: The native library (cargo build --release -p native_token); with -Rid, for that platform's Rust target.
task Library {
    if (-not $Rid) {
        Invoke-Cargo build --release -p native_token
        return
    }
    $target = (Get-TargetPlatform).RustTarget
    if ((Get-Command rustup -ErrorAction Ignore) -and (rustup target list --installed) -notcontains $target) {
        exec { rustup target add $target }
    }
    $environment = @{ CARGO_PROFILE_RELEASE_STRIP = 'debuginfo' }
    # The Windows DLL carries its C runtime: no Visual C++ redistributable needed.
    if ($target -like '*-windows-msvc') { $environment.RUSTFLAGS = '-C target-feature=+crt-static' }
    Invoke-WithEnvironment $environment { Invoke-Cargo build --release -p native_token --target $target }
}

# Synopsis: The emulator and the forward proxy the tests use (target/debug/).
task Emulator {
    Invoke-Cargo build -p native-token-emulator
}

# Synopsis: NativeToken.dll, the compiled cmdlets, with the crate's version (the .csproj reads no version itself).
task Cmdlets {
    $version = Get-CrateVersion
    exec { dotnet build powershell/src/NativeToken.csproj -c Release -nologo -v q -clp:NoSummary "-p:CrateVersion=$version" }
}

# Synopsis: The MAML help (target/dotnet/help/), remade when a markdown source or the generator changed.
task Help -Inputs { Get-ChildItem -LiteralPath powershell/help -File } -Outputs target/dotnet/help/NativeToken.dll-Help.xml {
    & ./powershell/help/ConvertTo-MamlHelp.ps1 -OutFile (Join-Path $BuildRoot $Outputs)
}

# Synopsis: Lays the module out as it ships in out/NativeToken/ (with -PrebuiltLibs' libraries too).
task Module Library, Cmdlets, Help, {
    $platform = Get-TargetPlatform
    $null = New-Item -ItemType Directory -Force -Path out
    $stage = Join-Path $BuildRoot 'out/.NativeToken.new'
    Remove-Item -LiteralPath $stage -Recurse -Force -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Path "$stage/en-US"
    Copy-Item powershell/NativeToken.psm1, target/dotnet/NativeToken/bin/Release/netstandard2.0/NativeToken.dll, LICENSE, README.md -Destination $stage
    Copy-Item target/dotnet/help/NativeToken.dll-Help.xml -Destination "$stage/en-US"
    $library = Get-BuiltLibrary
    Assert-LibraryRid $library $platform.Rid
    Copy-ShippedLibrary $library "$stage/lib/$($platform.Rid)/$($platform.Library)"
    Copy-PrebuiltLibraries "$stage/lib"
    Write-ShippedManifest $stage
    Install-Folder $stage (Join-Path $BuildRoot 'out/NativeToken')
    $libs = (Get-ChildItem -LiteralPath out/NativeToken/lib -Directory | Sort-Object Name).Name -join ','
    print Green "build: out/NativeToken (NativeToken $(Get-CrateVersion), lib/$libs)"
}

# Synopsis: Everything: the module in out/NativeToken/, the emulator and the proxy in target/debug/.
task Build Library, Emulator, Module

# Synopsis: Build, then publishes out/repo/NativeToken.<version>.nupkg with Publish-PSResource to that folder repository.
task Package Build, {
    $repository = Join-Path $BuildRoot 'out/repo'
    Remove-Item -LiteralPath $repository -Recurse -Force -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Path $repository
    # PSResourceGet keeps its repository list in the user's data folder (~/.local/share, or
    # LOCALAPPDATA): the temporary repository registered here lives in a home folder of its own,
    # and Publish-PSResource writes NuGet/NuGet.Config into its working directory, there too.
    $store = Join-Path $BuildRoot 'target/psresourceget'
    Remove-Item -LiteralPath $store -Recurse -Force -ErrorAction Ignore
    $null = New-Item -ItemType Directory -Path $store
    $publish = {
        $ErrorActionPreference = 'Stop'
        $ProgressPreference = 'SilentlyContinue'
        Register-PSResourceRepository -Name NativeTokenPackage -Uri $env:NT_REPOSITORY -Trusted
        try { Publish-PSResource -Path $env:NT_MODULE -Repository NativeTokenPackage }
        finally { Unregister-PSResourceRepository -Name NativeTokenPackage }
    }
    $environment = @{
        HOME = $store; LOCALAPPDATA = $store; XDG_DATA_HOME = $null; XDG_CONFIG_HOME = $null; XDG_CACHE_HOME = $null
        NT_REPOSITORY = $repository; NT_MODULE = Join-Path $BuildRoot 'out/NativeToken'
    }
    $pwsh = @(Get-PwshCommand)
    Push-Location $store
    try {
        Invoke-WithEnvironment $environment {
            exec { & $pwsh[0] @($pwsh | Select-Object -Skip 1) -NoProfile -NonInteractive -Command $publish.ToString() }
        }
    }
    finally { Pop-Location }
    Remove-Item -LiteralPath $store -Recurse -Force
    $package = "out/repo/NativeToken.$(Get-CrateVersion).nupkg"
    assert (Test-Path -LiteralPath $package) "package: $package was not made"
    print Green "package: $package"
}

# --- What the build uses ------------------------------------------------------------------------

# Synopsis: Lists the pinned PowerShell modules build.ps1 restored (target/tools/*.psd1 records where each is).
task Tools {
    foreach ($record in Get-ChildItem -LiteralPath target/tools -Filter *.psd1) {
        "$($record.BaseName): $((Get-Content -LiteralPath $record.FullName -TotalCount 1).Trim())"
    }
}

# Synopsis: Prints the crate version (the module's).
task Version {
    Get-CrateVersion
}

# --- Testing ------------------------------------------------------------------------------------

# Synopsis: The module's Pester suite (tests/module/Invoke-ModuleTests.ps1) in a new -TestHost process, against $env:NATIVETOKEN_TEST_MODULE or out/NativeToken.
task Test {
    $command = @(if ($TestHost -eq 'powershell') { 'powershell' } else { Get-PwshCommand })
    $arguments = @('-NoProfile', '-NonInteractive')
    if ($IsWindows) { $arguments += @('-ExecutionPolicy', 'Bypass') }
    exec { & $command[0] @($command | Select-Object -Skip 1) @arguments -File tests/module/Invoke-ModuleTests.ps1 }
}

# --- The release workflow's steps ---------------------------------------------------------------

# Synopsis: The release workflow's build of one platform's library (-Rid) into out/dist/lib/<rid>/, checked to be for that platform.
task LibraryArtifact Library, {
    assert $Rid 'LibraryArtifact needs -Rid (a Rid of build/platforms.csv).'
    $platform = Get-TargetPlatform
    $destination = "out/dist/lib/$($platform.Rid)/$($platform.Library)"
    Copy-ShippedLibrary (Get-BuiltLibrary) $destination
    Assert-LibraryRid $destination $platform.Rid
    print Cyan "${destination}: a $($platform.Rid) library, $((Get-Item -LiteralPath $destination).Length) bytes"
    if ($IsLinux -and (Get-Command objdump -CommandType Application -ErrorAction Ignore)) {
        $glibc = objdump -T $destination | Select-String -AllMatches 'GLIBC_[0-9.]+' | ForEach-Object { $_.Matches.Value } |
            Sort-Object { [version]($_ -replace '^GLIBC_', '' -replace '^(\d+)$', '$1.0') } -Unique | Select-Object -Last 1
        print Cyan "newest glibc symbol version it needs: $glibc"
    }
}

# Synopsis: The release workflow's copy of the emulator and the proxy for the test jobs, into out/test-tools/.
task TestToolsArtifact Emulator, {
    $extension = if ($IsWindows) { '.exe' } else { '' }
    $null = New-Item -ItemType Directory -Force -Path out/test-tools
    foreach ($name in 'native-token-emulator', 'native-token-proxy') {
        Copy-Item -LiteralPath "target/debug/$name$extension" -Destination out/test-tools -Force
    }
}

# Synopsis: Checks that -PrebuiltLibs has the library of every platform of build/platforms.csv, each for its platform.
task CheckLibraries {
    $missing = @()
    foreach ($platform in Get-Platform) {
        $name = "lib/$($platform.Rid)/$($platform.Library)"
        $library = Join-Path $PrebuiltLibs $name
        if (-not (Test-Path -LiteralPath $library)) { $missing += $name; continue }
        Assert-LibraryRid $library $platform.Rid
        print Cyan "found $name ($((Get-Item -LiteralPath $library).Length) bytes)"
    }
    assert (-not $missing) "missing $($missing -join ', ')"
}

# Synopsis: Checks the package: named for the crate version (and the release tag), with the module's files and every platform's library.
task CheckPackage {
    $version = Get-CrateVersion
    if ($env:GITHUB_REF_TYPE -eq 'tag') {
        assert ($env:GITHUB_REF_NAME -eq "v$version") "tag $env:GITHUB_REF_NAME does not match the crate version $version"
    }
    $package = "out/repo/NativeToken.$version.nupkg"
    assert (Test-Path -LiteralPath $package) "$package is missing"
    Add-Type -AssemblyName System.IO.Compression.FileSystem
    $archive = [System.IO.Compression.ZipFile]::OpenRead((Resolve-Path -LiteralPath $package).Path)
    try { $listing = @($archive.Entries.FullName) }
    finally { $archive.Dispose() }
    $expected = @('NativeToken.psd1', 'NativeToken.psm1', 'NativeToken.dll', 'en-US/NativeToken.dll-Help.xml') +
        @(Get-Platform | ForEach-Object { "lib/$($_.Rid)/$($_.Library)" })
    print Cyan "${package}:`n$($listing -join "`n")"
    $missing = @($expected | Where-Object { $listing -cnotcontains $_ })
    assert (-not $missing) "$package lacks $($missing -join ', ')"
}
