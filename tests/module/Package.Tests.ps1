# The installable package: scripts/package publishes out/NativeToken with Publish-PSResource to the
# folder repository out/repo as NativeToken.<version>.nupkg. Here a fresh pwsh registers that folder
# as a PSResource repository, installs NativeToken from it by name into a temporary module path,
# imports it by name and fetches a token from the emulator through it, as a user would.
#
# The fresh pwsh gets a home folder of its own for PSResourceGet's repository list and the
# CurrentUser module path (~/.local/share/... on Linux and macOS: HOME; PSResourceGet does not
# follow XDG_DATA_HOME for modules, so the XDG variables are dropped), so the user's own
# repositories and modules are neither used nor changed. On Windows LOCALAPPDATA moves the
# repository list only where PSResourceGet reads the variable (not on Windows, where the known
# folder wins: there the repository gets a name of its own and is unregistered again), and
# CurrentUser modules live in Documents, which no variable moves: there Save-PSResource puts the
# package in a temporary folder put first on PSModulePath instead.

BeforeDiscovery {
    # PSResourceGet ships with PowerShell 7.4+; Windows PowerShell 5.1 has it only when installed.
    $hasPSResourceGet = $null -ne (Get-Module -ListAvailable -Name Microsoft.PowerShell.PSResourceGet)
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $version = Get-NtModuleVersion
    $repository = [System.IO.Path]::Combine((Get-NtRepoRoot), 'out', 'repo')
    $package = [System.IO.Path]::Combine($repository, "NativeToken.$version.nupkg")

    # A fresh pwsh like this one (scripts/pwsh runs pwsh.dll with dotnet), with the given
    # environment on top of this process's, minus PSModulePath (a fresh pwsh works it out).
    function Start-FreshPwsh([string] $Script, [hashtable] $Environment) {
        $path = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName
        $arguments = '-NoProfile -NonInteractive -NoLogo -EncodedCommand ' + [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($Script))
        if ([System.IO.Path]::GetFileNameWithoutExtension($path) -eq 'dotnet') {
            $arguments = '"' + [System.IO.Path]::Combine($PSHOME, 'pwsh.dll') + '" ' + $arguments
        }
        $info = [System.Diagnostics.ProcessStartInfo]::new($path, $arguments)
        $info.UseShellExecute = $false
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.EnvironmentVariables.Remove('PSModulePath')
        $info.EnvironmentVariables['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
        $info.EnvironmentVariables['POWERSHELL_UPDATECHECK'] = 'Off'
        foreach ($name in 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'XDG_CACHE_HOME') { $info.EnvironmentVariables.Remove($name) }
        foreach ($name in $Environment.Keys) { $info.EnvironmentVariables[$name] = [string]$Environment[$name] }
        # PSResourceGet writes NuGet/NuGet.Config into the working directory: keep it in the
        # temporary home, out of the repository.
        if ($Environment.ContainsKey('HOME')) { $info.WorkingDirectory = [string]$Environment['HOME'] }
        [System.Diagnostics.Process]::Start($info)
    }
}

Describe 'Installable package' -Tag 'Compiled', 'Package' {
    BeforeAll {
        $emulator = Start-NtEmulator
        $work = New-NtTempFolder -Prefix 'nativetoken-package'
    }
    AfterAll {
        Stop-NtEmulator $emulator
        Remove-NtTempFolder $work
    }

    It 'is in the folder repository out/repo as NativeToken.<version>.nupkg' {
        [System.IO.File]::Exists($package) | Should -BeTrue -Because "scripts/package makes $package"
    }

    It 'installs by name in a fresh pwsh, imports by name and fetches a token from the emulator' -Skip:(-not $hasPSResourceGet) {
        $homeFolder = [System.IO.Path]::Combine($work, 'home')
        $modules = [System.IO.Path]::Combine($work, 'Modules')
        $null = [System.IO.Directory]::CreateDirectory($homeFolder)
        $null = [System.IO.Directory]::CreateDirectory($modules)
        $jwt = New-NtJwt
        $endpoint = Get-NtTlspcEndpoint $emulator -Tenant ([guid]::NewGuid())

        $script = @'
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
$onWindows = [System.IO.Path]::DirectorySeparatorChar -eq '\'
if ($onWindows) { $env:PSModulePath = $env:NT_PKG_MODULES + [System.IO.Path]::PathSeparator + $env:PSModulePath }
# On Windows the repository list stays the user's (LOCALAPPDATA does not move it there): a name
# of this run's own, unregistered again.
Register-PSResourceRepository -Name $env:NT_PKG_REPOSITORY_NAME -Uri $env:NT_PKG_REPOSITORY -Trusted
try {
    if ($onWindows) {
        Save-PSResource -Name NativeToken -Version $env:NT_PKG_VERSION -Repository $env:NT_PKG_REPOSITORY_NAME -Path $env:NT_PKG_MODULES
    }
    else {
        Install-PSResource -Name NativeToken -Version $env:NT_PKG_VERSION -Repository $env:NT_PKG_REPOSITORY_NAME -Scope CurrentUser
    }
}
finally { Unregister-PSResourceRepository -Name $env:NT_PKG_REPOSITORY_NAME }
$found = @(Get-PSResource -Name NativeToken -ErrorAction SilentlyContinue)
Import-Module NativeToken
$module = Get-Module NativeToken
$token = New-VcToken -Endpoint $env:NT_PKG_ENDPOINT -Jwt $env:NT_PKG_JWT
$access = $token.AccessToken.GetNetworkCredential().Password
[pscustomobject]@{
    ModuleBase    = $module.ModuleBase
    Version       = [string]$module.Version
    CommandTypes  = @(Get-Command -Module NativeToken | ForEach-Object { [string]$_.CommandType } | Sort-Object -Unique)
    Installed     = @($found | ForEach-Object { [string]$_.Version })
    Files         = @(Get-ChildItem -LiteralPath $module.ModuleBase -Recurse -File | ForEach-Object { $_.FullName.Substring($module.ModuleBase.Length + 1).Replace('\', '/') } | Sort-Object)
    Endpoint      = $token.Endpoint
    AccessUser    = $token.AccessToken.UserName
    AccessIsToken = $access -match '^[0-9a-f]{32,}$'
    JwtMatches    = $token.JWT.GetNetworkCredential().Password -ceq $env:NT_PKG_JWT
    ExpiresKind   = [string]$token.Expires.Kind
    Session       = $null -ne $VenafiSession -and [object]::ReferenceEquals($VenafiSession.Token, $token)
} | ConvertTo-Json -Compress
'@
        $process = Start-FreshPwsh $script @{
            HOME = $homeFolder; LOCALAPPDATA = $homeFolder
            NT_PKG_MODULES = $modules; NT_PKG_REPOSITORY = $repository; NT_PKG_VERSION = $version
            NT_PKG_REPOSITORY_NAME = 'NativeTokenPackageTest' + [guid]::NewGuid().ToString('N')
            NT_PKG_ENDPOINT = $endpoint; NT_PKG_JWT = $jwt
        }
        try {
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit(180000)) { $process.Kill(); throw 'The fresh pwsh did not finish within 180 s.' }
            $process.WaitForExit()
            $process.ExitCode | Should -Be 0 -Because "the fresh pwsh must install, import and call the module: $($stderr.Result) $($stdout.Result)"
        }
        finally { $process.Dispose() }
        $result = ($stdout.Result.Trim() -split '\r?\n')[-1] | ConvertFrom-Json

        $installedUnder = if ([System.IO.Path]::DirectorySeparatorChar -eq '\') { $modules } else { $homeFolder }
        $result.ModuleBase | Should -BeLike ([System.IO.Path]::GetFullPath($installedUnder) + '*') -Because 'the module was imported by name from the temporary module path'
        $result.Version | Should -Be $version
        @($result.CommandTypes) | Should -Be @('Cmdlet')
        $platform = Get-NtPlatform
        @($result.Files) | Should -Contain "lib/$($platform.Rid)/$($platform.LibraryFile)"
        @($result.Files) | Should -Contain 'NativeToken.dll'
        @($result.Files) | Should -Contain 'en-US/NativeToken.dll-Help.xml'
        $result.Endpoint | Should -BeExactly $endpoint
        $result.AccessUser | Should -BeExactly 'AccessToken'
        $result.AccessIsToken | Should -BeTrue
        $result.JwtMatches | Should -BeTrue
        $result.ExpiresKind | Should -Be 'Utc'
        $result.Session | Should -BeTrue -Because 'the installed module keeps $VenafiSession'
        @(Get-NtTokenRequest $emulator -Tenant (([uri]$endpoint).Segments[-2].TrimEnd('/'))).Count | Should -Be 1
    }
}
