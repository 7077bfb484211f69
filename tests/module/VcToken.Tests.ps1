# New-VcToken -Endpoint -Jwt against the emulator: the token object of the contract, the session
# it begins, and -Verbose.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force

    # The token object of the help: what [pscustomobject]@{...} makes in the pure-PowerShell
    # original (so formatting, Get-Member and type tests see no difference), properties in this
    # order, PSCredentials named AccessToken and JWT, Expires in UTC an hour from now (the
    # emulator's expires_in is 3600 s).
    function Assert-TokenObject($Token, [string] $Endpoint, [string] $Jwt) {
        $Token.PSObject.BaseObject | Should -BeOfType ([System.Management.Automation.PSCustomObject])
        $Token.PSObject.TypeNames[0] | Should -BeExactly 'System.Management.Automation.PSCustomObject'
        @($Token.PSObject.Properties | Where-Object { $_ -isnot [System.Management.Automation.PSNoteProperty] }) | Should -BeNullOrEmpty
        ($Token.PSObject.Properties.Name -join ',') | Should -BeExactly 'Endpoint,AccessToken,JWT,Expires'
        $Token.Endpoint | Should -BeOfType ([string])
        $Token.Endpoint | Should -BeExactly $Endpoint
        $Token.AccessToken | Should -BeOfType ([pscredential])
        $Token.AccessToken.UserName | Should -BeExactly 'AccessToken'
        Get-NtPassword $Token.AccessToken | Should -MatchExactly '^[0-9a-f]{32,}$'
        $Token.JWT | Should -BeOfType ([pscredential])
        $Token.JWT.UserName | Should -BeExactly 'JWT'
        Get-NtPassword $Token.JWT | Should -BeExactly $Jwt
        $Token.Expires | Should -BeOfType ([datetime])
        $Token.Expires.Kind | Should -Be ([System.DateTimeKind]::Utc)
        $expected = [datetime]::UtcNow.AddSeconds(3600)
        $Token.Expires | Should -BeGreaterThan $expected.AddSeconds(-120)
        $Token.Expires | Should -BeLessThan $expected.AddSeconds(5)
    }

    $emulator = Start-NtEmulator
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'New-VcToken -Endpoint -Jwt' {
    It 'runs example 2 of the help: returns the token object and stores the session in $VenafiSession' {
        $example = (Get-NtHelpFile New-VcToken).Examples[1]
        $example.Title | Should -BeExactly 'EXAMPLE 2'
        # The example as written, with the emulator in place of api.venafi.cloud (same tenant).
        $code = $example.Code.Replace('https://api.venafi.cloud', $emulator.HttpUrl)
        $endpoint = Get-NtTlspcEndpoint $emulator
        $code | Should -Match ([regex]::Escape($endpoint))
        $jwt = New-NtJwt
        $runspace = New-NtRunspace
        try {
            $before = Get-NtRequestCount $emulator

            $result = Invoke-NtScript $runspace $code @{ Jwt = $jwt }

            $result.Succeeded | Should -BeTrue
            $result.Output.Count | Should -Be 1
            Assert-TokenObject $result.Output[0] $endpoint $jwt
            Get-NtRequestCount $emulator | Should -Be ($before + 1)
            $session = (Invoke-NtScript $runspace '$VenafiSession; [object]::ReferenceEquals($VenafiSession.Token, $Token)' @{ Token = $result.Output[0] }).Output
            $session[0].PSObject.BaseObject | Should -BeOfType ([System.Management.Automation.PSCustomObject])
            # The properties VenafiPS 6.11's New-VenafiSession -VcEndpoint -Jwt gives, in its order.
            ($session[0].PSObject.Properties.Name -join ',') | Should -BeExactly 'Platform,Server,TimeoutSec,SkipCertificateCheck,Token,User'
            $session[0].Platform | Should -BeExactly 'VC'
            $session[0].TimeoutSec | Should -BeOfType ([int])
            $session[0].TimeoutSec | Should -Be 0
            $session[0].SkipCertificateCheck | Should -BeOfType ([bool])
            $session[0].SkipCertificateCheck | Should -BeFalse
            $session[0].User | Should -BeNullOrEmpty
            $session[0].Server | Should -BeExactly $emulator.HttpUrl
            $session[1] | Should -BeTrue -Because 'the session holds the very token object that was returned'
            Find-NtSecret (Get-NtVisibleText $result) $jwt, (Get-NtPassword $result.Output[0].AccessToken) | Should -BeNullOrEmpty
        }
        finally { $runspace.Dispose() }
    }

    It 'takes any tenant, and makes Server the scheme, host and port of the endpoint' {
        $endpoint = Get-NtTlspcEndpoint $emulator -Tenant '0a1b2c3d-4e5f-6789-abcd-ef0123456789'
        $jwt = New-NtJwt
        $result = Invoke-NtScript -Script '$t = New-VcToken -Endpoint $Endpoint -Jwt $Jwt; $t; $VenafiSession.Server' -Variables @{ Endpoint = $endpoint; Jwt = $jwt }
        $result.Succeeded | Should -BeTrue
        Assert-TokenObject $result.Output[0] $endpoint $jwt
        $result.Output[1] | Should -BeExactly $emulator.HttpUrl
    }

    It 'sends a JWT with a non-ASCII subject byte for byte (UTF-8)' {
        # Stands in for the Windows PowerShell string path of the script module: whatever the
        # runtime, the JWT must reach the server as its UTF-8 bytes.
        $tenant = [guid]::NewGuid().ToString()
        $jwt = New-NtJwt -Subject 'svc-ünïcødé-ß'
        $result = Invoke-NtScript -Script 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt' -Variables @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Tenant $tenant); Jwt = $jwt }
        $result.Succeeded | Should -BeTrue
        Get-NtPassword $result.Output[0].JWT | Should -BeExactly $jwt
        @(Get-NtTokenRequest $emulator -Tenant $tenant).Sub | Should -BeExactly 'svc-ünïcødé-ß'
    }

    It 'says with -Verbose where it posts, how long it took, when the token expires and that it stored the session, without secrets' {
        $endpoint = Get-NtTlspcEndpoint $emulator
        $jwt = New-NtJwt
        $result = Invoke-NtScript -Script '$t = New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose; New-VcToken -Verbose; $t' -Variables @{ Endpoint = $endpoint; Jwt = $jwt }
        $result.Succeeded | Should -BeTrue
        $result.Verbose | Where-Object { $_.StartsWith("POST $endpoint") } | Should -Not -BeNullOrEmpty
        $result.Verbose | Where-Object { $_ -match ' ms' -and $_ -match 'expires' } | Should -Not -BeNullOrEmpty
        $result.Verbose | Where-Object { $_.StartsWith('native: ') } | Should -Not -BeNullOrEmpty
        $result.Verbose | Where-Object { $_ -match 'script scoped variable VenafiSession' } | Should -Not -BeNullOrEmpty
        Find-NtSecret (Get-NtVisibleText $result) $jwt, (Get-NtPassword $result.Output[0].AccessToken) | Should -BeNullOrEmpty
    }

    It 'writes no verbose or warning record without -Verbose' {
        $result = Invoke-NtScript -Script '$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt; New-VcToken' -Variables @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt) }
        $result.Succeeded | Should -BeTrue
        $result.Verbose | Should -BeNullOrEmpty
        $result.Warning | Should -BeNullOrEmpty
    }
}
