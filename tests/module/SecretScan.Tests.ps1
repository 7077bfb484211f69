# Marker JWTs, codes and the tokens received never appear in any error message, error id,
# target, Exception.Data entry, verbose, warning, debug or information record, nor in the
# emulator's log, whatever path a call takes. This walks success paths and a sample of failures
# in one runspace; every failure of Faults.Tests.ps1 and BadInput.Tests.ps1 gets the same scan
# through Invoke-NtFailingCall.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'Secrets in what the commands show and the server logs' {
    It 'leaks no JWT or token from New-VcToken, on success or any failure' {
        $jwt = New-NtJwt -Subject 'svc-secret-scan'
        $expired = New-NtJwt -ValidFor ([timespan]::FromHours(-1))
        $secrets = [System.Collections.Generic.List[string]]::new()
        $secrets.Add($jwt)
        $secrets.Add($expired)
        $calls = @(
            @{ Script = '$t = New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose -Debug; $t.AccessToken.GetNetworkCredential().Password'; Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = $jwt }
            @{ Script = 'New-VcToken -Verbose; $VenafiSession.Token.AccessToken.GetNetworkCredential().Password'; Endpoint = $null; Jwt = $jwt }
            @{ Script = '(New-VcToken -VenafiSession $VenafiSession -Verbose).AccessToken.GetNetworkCredential().Password'; Endpoint = $null; Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator -Fault 'status=500'); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator -Fault 'status=401'); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator -Fault 'oauth-error'); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator -Fault 'html'); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator -Fault 'invalid-json'); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator -Fault 'wrong-type'); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator -Fault '429=1*1' -Tenant ([guid]::NewGuid())); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = $expired }
            @{ Script = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator -Https); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint $Jwt -Jwt $Endpoint -Verbose'; Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = $jwt }
            @{ Script = 'New-VcToken -Endpoint ''not a url'' -Jwt $Jwt -Verbose'; Endpoint = $null; Jwt = $jwt }
            @{ Script = '$VenafiSession = [pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } }; New-VcToken -Verbose'; Endpoint = $null; Jwt = $jwt }
            @{ Script = 'New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } }) -Verbose'; Endpoint = $null; Jwt = $jwt }
        )
        $runspace = New-NtRunspace
        try {
            $successes = 0
            foreach ($call in $calls) {
                $result = Invoke-NtScript $runspace $call.Script @{ Endpoint = $call.Endpoint; Jwt = $call.Jwt }
                if ($result.Succeeded) { $successes++ }
                # Access tokens the script prints on purpose are secrets for every record.
                foreach ($output in $result.Output) { if ($output -is [string]) { $secrets.Add($output) } }
                Find-NtSecret (Get-NtVisibleText $result) $secrets.ToArray() | Should -BeNullOrEmpty -Because "the call was: $($call.Script)"
            }
        }
        finally { $runspace.Dispose() }
        # Three calls succeed with a token, the 429 is retried into one more success.
        $successes | Should -Be 4
        $secrets.Count | Should -Be 5
        Find-NtSecret (Get-NtEmulatorLogText $emulator) $secrets.ToArray() | Should -BeNullOrEmpty
    }

    It 'leaks no code or token from New-ArmorApiToken, on success or failure (HTTPS, trusted before pwsh starts)' -Skip:($IsMacOS) {
        $code = New-NtArmorCode
        $scripts = @(
            '$Global:ArmorSession = [pscustomobject]@{ Server = ''localhost''; Port = $Port; ApiVersion = ''v1.0'' }'
            '$r = New-ArmorApiToken -Code $Code -Verbose -Debug; $r.access_token; $r.id_token'
            'New-ArmorApiToken $Code ''AUTHORIZATION_CODE'' ''v1.0'' -Verbose | ForEach-Object { $_.access_token; $_.id_token }'
            'New-ArmorApiToken -Code $Code -GrantType ''password'' -Verbose'
            'New-ArmorApiToken -Code $Code -ApiVersion ''v2.0'' -Verbose'
            'New-ArmorApiToken ''authorization_code'' $Code -Verbose'
            'New-ArmorApiToken -Code ($Code.Substring(0, 20)) -Verbose'
        )
        $steps = @(Invoke-NtProcess -Step $scripts -Variables @{ Code = $code; Port = $emulator.HttpsPort } -Environment @{ SSL_CERT_FILE = $emulator.CertPath })
        $secrets = [System.Collections.Generic.List[string]]::new()
        $secrets.Add($code)
        for ($i = 0; $i -lt $steps.Count; $i++) {
            foreach ($output in $steps[$i].Output) { if ($output -is [string]) { $secrets.Add($output) } }
            Find-NtSecret $steps[$i].VisibleText $secrets.ToArray() | Should -BeNullOrEmpty -Because "the call was: $($scripts[$i])"
        }
        @($steps | Where-Object Succeeded).Count | Should -Be 3
        # Two calls returned an access token and an id token each.
        $secrets.Count | Should -Be 5
        Find-NtSecret (Get-NtEmulatorLogText $emulator) $secrets.ToArray() | Should -BeNullOrEmpty
    }
}
