# Helpers for the NativeToken Pester suite (tests/module/*.Tests.ps1).
#
# The module under test is $env:NATIVETOKEN_TEST_MODULE (a .psd1), by default
# <repo>/out/NativeToken/NativeToken.psd1. Every call under test takes the real path: a runspace
# of this pwsh with the module imported -> the native library -> HTTP(S) on loopback to the local
# emulator (target/debug/native-token-emulator, or $env:NATIVETOKEN_EMULATOR).
#
# Kept runnable on Windows PowerShell 5.1 (no ternaries, no ?., no [Environment]::ProcessPath
# without a fallback), although only Linux pwsh runs it here.

Set-StrictMode -Version 3.0

$script:RepoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$script:OnWindows = [System.IO.Path]::DirectorySeparatorChar -eq '\'
$script:IsDesktop = $PSVersionTable.PSEdition -eq 'Desktop'
# Windows under Wine (scripts/test-windows): the emulator and the proxy are Linux programs, which
# this process starts through Wine (see Start-NtUnixHelper).
$script:UnderWine = $script:OnWindows -and (Test-Path -LiteralPath 'HKLM:\Software\Wine')
$script:ErrorIdSuffix = @{}
$script:StatsClient = $null
# Per native library path, the P/Invoke class Get-NtNativeVersion made for it.
$script:NativeVersionProbe = @{}

# The emulator's TLSPC tenant used when a test does not need a tenant of its own.
$script:DefaultTenant = '2222c771-61f3-11ec-8a47-490a1e43c222'

# The module's root: the shared state above, then one file per concern under TestSupport/ (dot-
# sourced, so they share this module's scope and $script: variables), then what the tests may call.
$script:SupportModulePath = $PSCommandPath
foreach ($part in 'Paths', 'HelperProcesses', 'Windows', 'Emulator', 'Secrets', 'Runspaces', 'FreshPwsh', 'Errors', 'Baseline', 'Help') {
    . ([System.IO.Path]::Combine($PSScriptRoot, 'TestSupport', "$part.ps1"))
}

Export-ModuleMember -Function @(
    'Get-NtRepoRoot', 'Get-NtTestModulePath', 'Get-NtReferenceHelpPath', 'Get-NtRepositoryHelpPath', 'Get-NtPlatform', 'Get-NtModuleVersion', 'Get-NtNativeVersion',
    'New-NtTempFolder', 'Remove-NtTempFolder', 'Get-NtFreePort',
    'Start-NtEmulator', 'Stop-NtEmulator', 'Get-NtTlspcEndpoint', 'Get-NtTlsHostName', 'Add-NtWindowsTrust', 'Remove-NtWindowsTrust', 'Get-NtShownUrl', 'Get-NtEmulatorStats', 'Get-NtRequestCount',
    'Get-NtEmulatorLog', 'Get-NtEmulatorLogText', 'Get-NtTokenRequest', 'Wait-NtLogLine',
    'Start-NtProxy', 'Stop-NtProxy', 'Get-NtProxyLog', 'Start-NtRelay', 'Stop-NtRelay',
    'New-NtJwt', 'New-NtJwtFromParts', 'New-NtArmorCode', 'Get-NtSecretFragment', 'Find-NtSecret',
    'New-NtRunspace', 'Invoke-NtScript', 'Get-NtInvocationResult', 'Get-NtVisibleText', 'Get-NtPassword',
    'Invoke-NtProcess', 'Invoke-NtProcessRequest',
    'Get-ExpectedErrorId',
    'New-NtBaseline', 'Get-NtBaselineState', 'Compare-NtBaseline', 'Invoke-NtBaselineRefresh', 'Invoke-NtFailingCall',
    'Get-NtHttpExceptionType', 'Get-NtRequestError', 'Get-NtHttpStatus',
    'ConvertTo-NtNormalText', 'ConvertTo-NtHelpSyntax', 'ConvertTo-NtOrdinalOrder', 'Get-NtHelpFile'
)
