# Paths of the repository, the module under test and the help contract; the platform's lib/
# folder; the versions the module's manifest and its native library report; temporary folders and
# free loopback ports.

function Get-NtRepoRoot {
    [OutputType([string])]
    param()
    $script:RepoRoot
}

function Get-NtTestModulePath {
    [OutputType([string])]
    param()
    if ($env:NATIVETOKEN_TEST_MODULE) {
        return [System.IO.Path]::GetFullPath($env:NATIVETOKEN_TEST_MODULE)
    }
    [System.IO.Path]::Combine($script:RepoRoot, 'out', 'NativeToken', 'NativeToken.psd1')
}

function Get-NtReferenceHelpPath {
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Command)
    # ../shared/reference beside the repository holds the help contract. Where it is absent (the
    # release workflow's runners), the repository's own help source stands in: Help.Tests checks
    # that the two are equal wherever both exist.
    $shared = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($script:RepoRoot, '..', 'shared', 'reference', "$Command.help.md"))
    if ([System.IO.File]::Exists($shared)) { return $shared }
    Get-NtRepositoryHelpPath $Command
}

function Get-NtRepositoryHelpPath {
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Command)
    [System.IO.Path]::Combine($script:RepoRoot, 'powershell', 'help', "$Command.md")
}

# <os>-<arch> as the module names its lib/ folders, and the library's file name there.
function Get-NtPlatform {
    [OutputType([pscustomobject])]
    param()
    $os = 'linux'
    $file = 'libnative_token.so'
    if ($script:OnWindows) { $os = 'win'; $file = 'native_token.dll' }
    elseif ($PSVersionTable.PSVersion.Major -ge 6 -and $IsMacOS) { $os = 'osx'; $file = 'libnative_token.dylib' }
    $arch = 'x64'
    $ri = 'System.Runtime.InteropServices.RuntimeInformation' -as [type]
    if ($null -ne $ri -and [string]$ri::ProcessArchitecture -eq 'Arm64') { $arch = 'arm64' }
    [pscustomobject]@{ Rid = "$os-$arch"; LibraryFile = $file }
}

# The version of the module under test as its manifest says (the build stamps it from the crate's;
# no test reads Cargo.toml).
function Get-NtModuleVersion {
    [OutputType([string])]
    param()
    [string](Import-PowerShellDataFile -LiteralPath (Get-NtTestModulePath)).ModuleVersion
}

# The version the native library shipped with the module under test reports: nt_version() of
# lib/<os>-<arch>/<library> beside its manifest, called through a P/Invoke class made for that path.
function Get-NtNativeVersion {
    [OutputType([string])]
    param()
    $platform = Get-NtPlatform
    $library = [System.IO.Path]::Combine([System.IO.Path]::GetDirectoryName((Get-NtTestModulePath)), 'lib', $platform.Rid, $platform.LibraryFile)
    if (-not [System.IO.File]::Exists($library)) { throw "The module under test ships no native library at $library." }
    if (-not $script:NativeVersionProbe.ContainsKey($library)) {
        # DllImport takes a constant path: one class per library.
        $class = 'NtVersionProbe' + [guid]::NewGuid().ToString('N')
        Add-Type -TypeDefinition (@'
public static class CLASS {
    [System.Runtime.InteropServices.DllImport(@"LIBRARY", CallingConvention = System.Runtime.InteropServices.CallingConvention.Cdecl)]
    private static extern System.IntPtr nt_version();
    public static string Get() { return System.Runtime.InteropServices.Marshal.PtrToStringAnsi(nt_version()); }
}
'@).Replace('CLASS', $class).Replace('LIBRARY', $library.Replace('"', '""'))
        $script:NativeVersionProbe[$library] = $class -as [type]
    }
    $script:NativeVersionProbe[$library]::Get()
}

function New-NtTempFolder {
    [OutputType([string])]
    param([string] $Prefix = 'nativetoken-pester')
    $path = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), $Prefix + '-' + [guid]::NewGuid().ToString('N'))
    $null = [System.IO.Directory]::CreateDirectory($path)
    $path
}

function Remove-NtTempFolder {
    param([string] $Path)
    if (-not $Path -or -not [System.IO.Directory]::Exists($Path)) { return }
    # A process that was just killed may still hold a file open for a moment (Windows).
    for ($i = 0; $i -lt 20; $i++) {
        try { [System.IO.Directory]::Delete($Path, $true); return }
        catch [System.IO.IOException] { Start-Sleep -Milliseconds 50 }
        catch [System.UnauthorizedAccessException] { Start-Sleep -Milliseconds 50 }
    }
}

# A loopback port nothing listens on (it was free a moment ago).
function Get-NtFreePort {
    [OutputType([int])]
    param()
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}
