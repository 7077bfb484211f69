# Windows only: a private CA trusted the way a Windows user trusts one, in the certificate store
# (schannel reads it; no SSL_CERT_FILE). Each call runs in a fresh pwsh, so the store is read
# anew: trusted while the CA is in the store, TlsFailed again once it is removed.
#
# Under Wine the store is CurrentUser\Root (Wine's certutil is a stub and Import-Certificate is
# missing; .NET's X509Store works). On real Windows a certificate added to CurrentUser\Root asks
# the user to confirm in a dialog, so there the test uses LocalMachine\Root (the release
# workflow's runners are administrators).

BeforeDiscovery {
    $onWindows = [System.IO.Path]::DirectorySeparatorChar -eq '\'
}

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator
    $location = if (Test-Path -LiteralPath 'HKLM:\Software\Wine') { 'CurrentUser' } else { 'LocalMachine' }
    $tlsHost = Get-NtTlsHostName

    # Both commands over HTTPS in a fresh pwsh that has no SSL_CERT_FILE / SSL_CERT_DIR.
    function Invoke-HttpsCalls {
        $steps = @(
            'New-VcToken -Endpoint $Endpoint -Jwt $Jwt'
            '$Global:ArmorSession = [pscustomobject]@{ Server = $TlsHost; Port = $Port; ApiVersion = ''v1.0'' }; New-ArmorApiToken -Code $Code'
        )
        Invoke-NtProcess -Environment @{ SSL_CERT_FILE = $null; SSL_CERT_DIR = $null } -Step $steps -Variables @{
            Endpoint = (Get-NtTlspcEndpoint $emulator -Https); Jwt = (New-NtJwt); TlsHost = $tlsHost; Port = $emulator.HttpsPort; Code = (New-NtArmorCode)
        }
    }
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'A private CA in the Windows certificate store' -Skip:(-not $onWindows) {
    It 'makes both commands trust the HTTPS emulator, and untrusted again once removed' {
        $ca = Add-NtWindowsTrust $emulator.CertPath
        try { $trusted = @(Invoke-HttpsCalls) }
        finally { Remove-NtWindowsTrust $ca }
        $removed = @(Invoke-HttpsCalls)

        $trusted[0].Succeeded | Should -BeTrue -Because "TLSPC over HTTPS with the CA in $location\Root: $($trusted[0].Error.Message)"
        $trusted[0].Output[0].AccessToken.Password | Should -MatchExactly '^[0-9a-f]{32,}$'
        $trusted[1].Succeeded | Should -BeTrue -Because "Armor over HTTPS with the CA in $location\Root: $($trusted[1].Error.Message)"
        $trusted[1].Output[0].token_type | Should -BeExactly 'Bearer'
        foreach ($step in $removed) {
            $step.Succeeded | Should -BeFalse
            $step.Error.Data['NativeTokenErrorKind'] | Should -BeExactly 'TlsFailed'
            $step.Error.Message | Should -Match '(CERT_E_UNTRUSTEDROOT 0x800B0109|SEC_E_UNTRUSTED_ROOT 0x80090325|CERT_E_CHAINING 0x800B010A): '
        }
    }
}
