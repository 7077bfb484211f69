# Server and network faults through New-VcToken -Endpoint -Jwt (the emulator's ?fault= modes, a
# closed port, an unknown host, bad certificates). Each failure is one error record with the id,
# category, exception type, message and target of docs/ERRORS.md, retried only where another
# attempt can help. Every failure runs through Invoke-NtFailingCall, which also checks that the
# session is unchanged and that no secret reached any record or the emulator's log.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator
    $fetch = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose'
    $httpException = Get-NtHttpExceptionType

    # The timeout these tests use (docs/ERRORS.md was written with it); set with $env: inside the
    # session, which the module reads on every call.
    $timeoutSeconds = 5
    $savedTimeout = $env:NATIVETOKEN_TIMEOUT_SEC
    $env:NATIVETOKEN_TIMEOUT_SEC = [string]$timeoutSeconds

    # A fault on a tenant of its own, so that MODE*COUNT starts afresh.
    function Get-FaultEndpoint([string] $Fault) {
        Get-NtTlspcEndpoint $emulator -Fault $Fault -Tenant ([guid]::NewGuid().ToString())
    }

    # The native library's trace lines in the verbose stream, without their prefix.
    function Get-NativeTrace($Result) {
        @($Result.Verbose | Where-Object { $_.StartsWith('native: ') } | ForEach-Object { $_.Substring('native: '.Length) })
    }

    # The checks every native failure shares: id, exception type, category, kind in Data, the
    # URL called as target.
    function Assert-NativeError($Result, [string] $Kind, [type] $ExceptionType, [string] $Category, [string] $Target) {
        { throw $Result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind $Kind -Command New-VcToken) -ExceptionType $ExceptionType
        $Result.Error.CategoryInfo.Category | Should -Be $Category
        $Result.Error.Exception.Data['NativeTokenErrorKind'] | Should -BeExactly $Kind
        $Result.Error.TargetObject | Should -BeExactly $Target
    }
}

AfterAll {
    $env:NATIVETOKEN_TIMEOUT_SEC = $savedTimeout
    Stop-NtEmulator $emulator
}

Describe 'Server faults' {
    It 'reports <Fault> as HTTP <Status> (<Category>), with the server''s words, after <Requests> request(s)' -ForEach @(
        # The TLSPC error envelope {"errors":[{"code","message"}]}; 503 is retried, the others never.
        @{ Fault = 'status=400'; Status = 400; Category = 'ProtocolError'; Requests = 1; Message = 'HTTP 400 Bad Request from {target}: Bad Request (code 400)' }
        @{ Fault = 'status=401'; Status = 401; Category = 'AuthenticationError'; Requests = 1; Message = 'HTTP 401 Unauthorized from {target}: Unauthorized (code 401)' }
        @{ Fault = 'status=403'; Status = 403; Category = 'AuthenticationError'; Requests = 1; Message = 'HTTP 403 Forbidden from {target}: Forbidden (code 403)' }
        @{ Fault = 'status=404'; Status = 404; Category = 'ObjectNotFound'; Requests = 1; Message = 'HTTP 404 Not Found from {target}: Not Found (code 404)' }
        @{ Fault = 'status=500'; Status = 500; Category = 'ResourceUnavailable'; Requests = 1; Message = 'HTTP 500 Internal Server Error from {target}: Internal Server Error (code 500)' }
        @{ Fault = '503=0'; Status = 503; Category = 'ResourceUnavailable'; Requests = 3; Message = 'HTTP 503 Service Unavailable from {target}: Service Unavailable (code 503)' }
        # An OAuth error, an HTML page, plain text, an empty body.
        @{ Fault = 'oauth-error'; Status = 401; Category = 'AuthenticationError'; Requests = 1; Message = 'HTTP 401 Unauthorized from {target}: invalid_client: Client authentication failed' }
        @{ Fault = 'html'; Status = 500; Category = 'ResourceUnavailable'; Requests = 1; Message = 'HTTP 500 Internal Server Error from {target}: 500 Internal Server Error Internal Server Error The server encountered an internal error.' }
        @{ Fault = 'plain'; Status = 400; Category = 'ProtocolError'; Requests = 1; Message = 'HTTP 400 Bad Request from {target}: Bad request: malformed form body' }
        @{ Fault = 'empty'; Status = 500; Category = 'ResourceUnavailable'; Requests = 1; Message = 'HTTP 500 Internal Server Error from {target}: the response body was empty' }
    ) {
        $endpoint = Get-FaultEndpoint $Fault

        $result = Invoke-NtFailingCall $emulator $fetch @{ Endpoint = $endpoint }

        $result.Requests | Should -Be $Requests
        Assert-NativeError $result HttpStatus $httpException $Category $endpoint
        Get-NtHttpStatus $result.Error.Exception | Should -Be $Status
        $result.Error.Exception.Data['HttpStatus'] | Should -Be $Status
        $result.Error.Exception.Message | Should -BeExactly $Message.Replace('{target}', (Get-NtShownUrl $endpoint))
    }

    It 'fails after two retries when every answer is 429, saying why it stopped' {
        $endpoint = Get-FaultEndpoint '429=1'

        $result = Invoke-NtFailingCall $emulator $fetch @{ Endpoint = $endpoint }

        $result.Requests | Should -Be 3
        Assert-NativeError $result HttpStatus $httpException LimitsExceeded $endpoint
        Get-NtHttpStatus $result.Error.Exception | Should -Be 429
        $result.Error.Exception.Message | Should -BeExactly "HTTP 429 Too Many Requests from $(Get-NtShownUrl $endpoint): Too Many Requests (code 429)"
        $trace = Get-NativeTrace $result
        @($trace -match '^retrying in 1(\.\d+)? s because the server sent Retry-After: 1$').Count | Should -Be 2
        $trace[-1] | Should -BeExactly 'not retried: 2 retries made already'
        $result.Error.Exception.Data['NativeTokenTrace'] | Should -Not -BeNullOrEmpty
    }

    It 'retries after Retry-After and succeeds when <Fault> clears, saying when and why in -Verbose' -ForEach @(
        @{ Fault = '429=1*1'; Refusal = 'HTTP 429 Too Many Requests' }
        @{ Fault = '503=1*1'; Refusal = 'HTTP 503 Service Unavailable' }
    ) {
        $jwt = New-NtJwt
        $endpoint = Get-FaultEndpoint $Fault
        $target = [regex]::Escape((Get-NtShownUrl $endpoint))
        $before = Get-NtRequestCount $emulator

        $result = Invoke-NtScript -Script $fetch -Variables @{ Endpoint = $endpoint; Jwt = $jwt }

        $result.Succeeded | Should -BeTrue
        $result.Output[0].Endpoint | Should -BeExactly $endpoint
        Get-NtRequestCount $emulator | Should -Be ($before + 2)
        $result.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1
        $result.Elapsed.TotalSeconds | Should -BeLessThan $timeoutSeconds
        $trace = Get-NativeTrace $result
        $trace.Count | Should -Be 3
        $trace[0] | Should -Match "^attempt 1: POST $target -> $Refusal in \d+ ms$"
        $trace[1] | Should -Match '^retrying in 1(\.\d+)? s because the server sent Retry-After: 1$'
        $trace[2] | Should -Match "^attempt 2: POST $target -> HTTP 200 OK in \d+ ms$"
        $secrets = $jwt, (Get-NtPassword $result.Output[0].AccessToken)
        Find-NtSecret (Get-NtVisibleText $result) $secrets | Should -BeNullOrEmpty
        Find-NtSecret (Get-NtEmulatorLogText $emulator) $secrets | Should -BeNullOrEmpty
    }

    It 'reports <Fault> as an invalid response after one request' -ForEach @(
        @{ Fault = 'invalid-json'; Message = 'the answer is not a JSON object' }
        @{ Fault = 'missing-token'; Message = 'the answer has no access_token' }
        @{ Fault = 'wrong-type'; Message = 'the answer''s token_type is not Bearer' }
        @{ Fault = 'bad-expiry'; Message = 'the answer''s expires_in is not a positive whole number' }
        @{ Fault = 'huge'; Message = 'the answer from {target} is larger than 1 MiB, so it is not a token answer' }
    ) {
        $endpoint = Get-FaultEndpoint $Fault

        $result = Invoke-NtFailingCall $emulator $fetch @{ Endpoint = $endpoint }

        $result.Requests | Should -Be 1
        Assert-NativeError $result InvalidResponse ([System.InvalidOperationException]) InvalidResult $endpoint
        $result.Error.Exception.Message | Should -BeExactly $Message.Replace('{target}', (Get-NtShownUrl $endpoint))
    }

    It 'gives up on a server that never answers within the timeout + 1 s, saying after how long' {
        # A timeout of its own, set inside the call's session as a user would.
        $endpoint = Get-FaultEndpoint 'hang'

        $result = Invoke-NtFailingCall $emulator ('$env:NATIVETOKEN_TIMEOUT_SEC = "3"; try { ' + $fetch + ' } finally { $env:NATIVETOKEN_TIMEOUT_SEC = "' + $timeoutSeconds + '" }') @{ Endpoint = $endpoint }

        $result.Requests | Should -Be 1
        Assert-NativeError $result Timeout ([System.TimeoutException]) OperationTimeout $endpoint
        # The library names its own setting (timeout_ms) and the module's (NATIVETOKEN_TIMEOUT_SEC).
        $result.Error.Exception.Message | Should -Match ('^' + [regex]::Escape("no complete answer from $(Get-NtShownUrl $endpoint) within 3 s (the timeout covers the whole call, retries included; set timeout_ms") +
            '.*NATIVETOKEN_TIMEOUT_SEC.* to change it\)$')
        $result.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 3
        $result.Elapsed.TotalSeconds | Should -BeLessThan 4
        Get-NativeTrace $result | Should -BeExactly "attempt 1: POST $(Get-NtShownUrl $endpoint) -> no complete answer before the timeout"
    }

    It 'lets a script catch the failure by exception type and read status, kind and target' {
        $endpoint = Get-NtTlspcEndpoint $emulator -Fault 'status=404'
        $result = Invoke-NtScript -Script @"
            try { New-VcToken -Endpoint `$Endpoint -Jwt `$Jwt }
            catch [$($httpException.FullName)] {
                [pscustomobject]@{ Status = `$_.Exception.Data['HttpStatus']; Kind = `$_.Exception.Data['NativeTokenErrorKind']; Target = `$_.TargetObject }
            }
"@ -Variables @{ Endpoint = $endpoint; Jwt = (New-NtJwt) }
        $result.Succeeded | Should -BeTrue
        $result.Output[0].Status | Should -Be 404
        $result.Output[0].Kind | Should -BeExactly 'HttpStatus'
        $result.Output[0].Target | Should -BeExactly $endpoint
    }
}

Describe 'Network faults' {
    It 'reports <Case> as <Kind> (<RequestError>) after <Requests> request(s)' -ForEach @(
        # Reset during the answer: the server may have acted on the request, so it is not repeated.
        @{ Case = 'a reset during the answer'; Fault = 'reset'; Kind = 'ConnectionReset'; RequestError = 'ResponseEnded'; Requests = 1; Attempts = 1; Pattern = '^the connection to {target} was reset before a complete answer: .+' }
        # Closed before any answer, on the connection kept from the baseline's calls: sent again
        # at once on a new connection (as after an idle close the server's and the request
        # crossed), then retried twice (docs/ERRORS.md, "Retries").
        @{ Case = 'a connection closed without an answer'; Fault = 'drop'; Kind = 'ConnectionReset'; RequestError = 'ResponseEnded'; Requests = 4; Attempts = 4; Pattern = '^the connection to {target} was closed before a complete answer: .+' }
        @{ Case = 'a closed port'; Fault = $null; Kind = 'ConnectFailed'; RequestError = 'ConnectionError'; Requests = 0; Attempts = 3; Pattern = '^could not connect to {target}: .*(?i:connection refused|actively refused)' }
        @{ Case = 'an unknown host'; Fault = $null; Kind = 'DnsFailed'; RequestError = 'NameResolutionError'; Requests = 0; Attempts = 1; Pattern = '^the host name no-such-host\.invalid did not resolve: .+' }
    ) {
        $endpoint = switch ($Case) {
            'a closed port' { "http://127.0.0.1:$(Get-NtFreePort)/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token" }
            'an unknown host' { 'https://no-such-host.invalid/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token' }
            default { Get-FaultEndpoint $Fault }
        }

        $result = Invoke-NtFailingCall $emulator $fetch @{ Endpoint = $endpoint }

        $result.Requests | Should -Be $Requests
        Assert-NativeError $result $Kind $httpException ConnectionError $endpoint
        Get-NtRequestError $result.Error.Exception | Should -BeExactly $RequestError
        Get-NtHttpStatus $result.Error.Exception | Should -BeNullOrEmpty
        $result.Error.Exception.Message | Should -Match $Pattern.Replace('{target}', [regex]::Escape((Get-NtShownUrl $endpoint)))
        @(Get-NativeTrace $result | Where-Object { $_ -match '^attempt \d+: ' }).Count | Should -Be $Attempts
        @(Get-NativeTrace $result | Where-Object { $_.EndsWith('; sending again at once on a new connection') }).Count | Should -Be ([int]($Fault -eq 'drop'))
    }
}

Describe 'Certificate faults' {
    It 'reports an untrusted certificate as a TLS failure that says how to trust a private CA' {
        # This process trusts no emulator certificate. By name: the certificate names localhost.
        $endpoint = Get-NtTlspcEndpoint $emulator -Https -HostName localhost

        $result = Invoke-NtFailingCall $emulator $fetch @{ Endpoint = $endpoint }

        $result.Requests | Should -Be 0
        Assert-NativeError $result TlsFailed $httpException SecurityError $endpoint
        Get-NtRequestError $result.Error.Exception | Should -BeExactly 'SecureConnectionError'
        $result.Error.Exception.Message | Should -BeLike "TLS with $endpoint failed (*"
        if ($IsLinux) {
            # OpenSSL's verdict, and the advice for OpenSSL (docs/ERRORS.md tells the other systems' ways).
            $result.Error.Exception.Message | Should -Match 'self-signed certificate'
            $result.Error.Exception.Message | Should -BeLike '*if the server''s certificate comes from a private CA, trust that CA with SSL_CERT_FILE=/path/ca.pem'
        }
    }

    # SSL_CERT_FILE is how a CA is trusted on Linux (OpenSSL) only.
    Context 'a trusted certificate for another host' -Skip:(-not $IsLinux) {
        BeforeAll {
            # Its certificate names only tlspc.wrong-host.example; a fresh pwsh trusts it through
            # SSL_CERT_FILE set before it starts, and calls it as localhost.
            $wrongHost = Start-NtEmulator -ArgumentList '--cert-names', 'tlspc.wrong-host.example'
            $endpoint = Get-NtTlspcEndpoint $wrongHost -Https -HostName localhost
            $marker = New-NtJwt -Subject 'svc-marker'
            $jwt = New-NtJwt
            $before = Get-NtRequestCount $wrongHost
            $steps = Invoke-NtProcess -Environment @{ SSL_CERT_FILE = $wrongHost.CertPath; NATIVETOKEN_TIMEOUT_SEC = $timeoutSeconds } -Step @(
                '$null = New-VcToken -Endpoint $Marker -Jwt $MarkerJwt; $s = $VenafiSession; $a = $s.Token.AccessToken'
                $fetch
                '[object]::ReferenceEquals($s, $VenafiSession) -and [object]::ReferenceEquals($a, $VenafiSession.Token.AccessToken)'
            ) -Variables @{ Marker = (Get-NtTlspcEndpoint $emulator); MarkerJwt = $marker; Endpoint = $endpoint; Jwt = $jwt }
            $result = $steps[1]
        }
        AfterAll { Stop-NtEmulator $wrongHost }

        It 'reports a TLS failure naming the host name mismatch' {
            $steps[0].Succeeded | Should -BeTrue
            $result.Succeeded | Should -BeFalse
            $result.Output | Should -BeNullOrEmpty
            $result.Error.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId -Kind TlsFailed -Command New-VcToken)
            $result.Error.Category | Should -Be 'SecurityError'
            $result.Error.ExceptionType | Should -BeExactly $httpException.FullName
            $result.Error.Data['NativeTokenErrorKind'] | Should -BeExactly 'TlsFailed'
            $result.Error.TargetObject | Should -BeExactly $endpoint
            $result.Error.Message | Should -BeLike "TLS with $endpoint failed (*"
            $result.Error.Message | Should -Match 'hostname mismatch'
            $result.Error.Message | Should -BeLike '*if the server''s certificate comes from a private CA, trust that CA with SSL_CERT_FILE=/path/ca.pem'
            Get-NtRequestCount $wrongHost | Should -Be $before
        }

        It 'changes no session and leaks no secret' {
            $steps[2].Output | Should -Be @($true)
            Find-NtSecret $result.VisibleText $marker, $jwt | Should -BeNullOrEmpty
            Find-NtSecret (Get-NtEmulatorLogText $wrongHost) $marker, $jwt | Should -BeNullOrEmpty
            Find-NtSecret (Get-NtEmulatorLogText $emulator) $marker, $jwt | Should -BeNullOrEmpty
        }
    }
}
