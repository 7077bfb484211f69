# Settings from the environment: NATIVETOKEN_TIMEOUT_SEC, SSL_CERT_FILE and the proxy variables
# (HTTPS_PROXY, HTTP_PROXY, NO_PROXY, either case) apply to the next call whether they were set
# before pwsh started or with $env: inside the session, as they do for Invoke-RestMethod; with no
# proxy variable, the process's default proxy decides ([System.Net.Http.HttpClient]::DefaultProxy).
#
# $env: changes .NET's copy of the environment for the whole process, so every test that sets
# one restores it; the proxy tests clear every proxy variable first.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator
    $proxyVariables = 'HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'
    $certVariables = 'SSL_CERT_FILE', 'SSL_CERT_DIR'

    # Through the Env: drive: [Environment]::SetEnvironmentVariable($n, $null) from PowerShell
    # passes "" and leaves an empty variable, which is not the same as none (an empty no_proxy
    # hides NO_PROXY, in .NET as in the module).
    function Clear-Environment([string[]] $Name) {
        foreach ($n in $Name) { Remove-Item -LiteralPath "Env:$n" -ErrorAction SilentlyContinue }
    }
    # The process's default proxy, which Invoke-RestMethod follows: HttpClient.DefaultProxy on
    # .NET, WebRequest.DefaultWebProxy on .NET Framework (Windows PowerShell 5.1).
    function Get-DefaultProxy {
        if ($PSVersionTable.PSEdition -eq 'Desktop') { [System.Net.WebRequest]::DefaultWebProxy } else { [System.Net.Http.HttpClient]::DefaultProxy }
    }
    function Set-DefaultProxy($Proxy) {
        if ($PSVersionTable.PSEdition -eq 'Desktop') { [System.Net.WebRequest]::DefaultWebProxy = $Proxy } else { [System.Net.Http.HttpClient]::DefaultProxy = $Proxy }
    }

    function Save-Environment([string[]] $Name) {
        $saved = @{}
        foreach ($n in $Name) { $saved[$n] = [Environment]::GetEnvironmentVariable($n) }
        $saved
    }
    function Restore-Environment([hashtable] $Saved) {
        foreach ($n in $Saved.Keys) {
            if ($null -eq $Saved[$n]) { Clear-Environment $n } else { Set-Item -LiteralPath "Env:$n" -Value $Saved[$n] }
        }
    }
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'NATIVETOKEN_TIMEOUT_SEC' {
    It 'ends a call to a server that never answers within the limit + 1 s when set with $env: in the session' {
        $endpoint = Get-NtTlspcEndpoint $emulator -Fault 'hang' -Tenant ([guid]::NewGuid())
        $result = Invoke-NtFailingCall $emulator @'
            $old = $env:NATIVETOKEN_TIMEOUT_SEC
            $env:NATIVETOKEN_TIMEOUT_SEC = '1.5'
            try { New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose } finally { $env:NATIVETOKEN_TIMEOUT_SEC = $old }
'@ @{ Endpoint = $endpoint }
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind Timeout -Command New-VcToken) -ExceptionType ([System.TimeoutException])
        $result.Error.CategoryInfo.Category | Should -Be 'OperationTimeout'
        $result.Error.TargetObject | Should -BeExactly $endpoint
        $result.Error.Exception.Message | Should -BeLike "no complete answer from $(Get-NtShownUrl $endpoint) within 1.50 s*"
        $result.Elapsed.TotalSeconds | Should -BeGreaterOrEqual 1.5
        $result.Elapsed.TotalSeconds | Should -BeLessThan 2.5
    }
}

# SSL_CERT_FILE trusts a CA on Linux (OpenSSL) and Windows (schannel, besides the certificate
# store); macOS is not tested here.
Describe 'SSL_CERT_FILE' -Skip:($IsMacOS) {
    It 'makes the HTTPS emulator trusted when set before pwsh starts' {
        $jwt = New-NtJwt
        $endpoint = Get-NtTlspcEndpoint $emulator -Https
        $steps = @(Invoke-NtProcess -Environment @{ SSL_CERT_FILE = $emulator.CertPath } -Step 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt' -Variables @{ Endpoint = $endpoint; Jwt = $jwt })
        $steps[0].Succeeded | Should -BeTrue
        $steps[0].Output[0].Endpoint | Should -BeExactly $endpoint
        $steps[0].Output[0].JWT.Password | Should -BeExactly $jwt
        $steps[0].Output[0].AccessToken.Password | Should -MatchExactly '^[0-9a-f]{32,}$'
    }

    It 'makes the HTTPS emulator trusted when set with $env: in the session, and untrusted again when removed' -Tag 'Compiled' {
        $saved = Save-Environment $certVariables
        $runspace = New-NtRunspace
        try {
            Clear-Environment $certVariables
            $fetch = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt'
            $vars = @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Https); Jwt = (New-NtJwt) }

            $untrusted = Invoke-NtScript $runspace $fetch $vars
            $trusted = Invoke-NtScript $runspace ('$env:SSL_CERT_FILE = $Cert; ' + $fetch) ($vars + @{ Cert = $emulator.CertPath })
            $removed = Invoke-NtScript $runspace ('Remove-Item Env:SSL_CERT_FILE; ' + $fetch) $vars

            { throw $untrusted.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind TlsFailed -Command New-VcToken)
            $trusted.Succeeded | Should -BeTrue
            $trusted.Output[0].Endpoint | Should -BeExactly $vars.Endpoint
            { throw $removed.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind TlsFailed -Command New-VcToken)
        }
        finally {
            $runspace.Dispose()
            Restore-Environment $saved
        }
    }

    It 'reads a CA file whose path is not ASCII, and gives such a path back intact when it cannot be read' -Tag 'Compiled' {
        # The path goes to the library as UTF-8 and, on Windows, on to the system as UTF-16; the
        # message comes back as UTF-8.
        $saved = Save-Environment $certVariables
        $runspace = New-NtRunspace
        $folder = New-NtTempFolder -Prefix 'nativetoken-ünïcødé-証明書'
        try {
            Clear-Environment $certVariables
            $cert = [System.IO.Path]::Combine($folder, 'CA-ß.pem')
            [System.IO.File]::Copy($emulator.CertPath, $cert)
            $missing = [System.IO.Path]::Combine($folder, 'fehlt-ü-✓.pem')
            $fetch = '$env:SSL_CERT_FILE = $Cert; New-VcToken -Endpoint $Endpoint -Jwt $Jwt'
            $vars = @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Https); Jwt = (New-NtJwt) }

            $trusted = Invoke-NtScript $runspace $fetch ($vars + @{ Cert = $cert })
            $unreadable = Invoke-NtScript $runspace $fetch ($vars + @{ Cert = $missing })

            $trusted.Succeeded | Should -BeTrue
            $trusted.Output[0].Endpoint | Should -BeExactly $vars.Endpoint
            { throw $unreadable.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind InvalidArgument -Command New-VcToken)
            $unreadable.Error.Exception.Message | Should -BeLike "the CA file $missing cannot be read: *"
        }
        finally {
            $runspace.Dispose()
            Restore-Environment $saved
            Remove-NtTempFolder $folder
        }
    }
}

Describe 'Proxies set in the session' -Tag 'Compiled' {
    BeforeAll {
        $proxy = Start-NtProxy
    }
    AfterAll {
        Stop-NtProxy $proxy
    }
    BeforeEach {
        $saved = Save-Environment ($proxyVariables + $certVariables)
        Clear-Environment $proxyVariables
        $runspace = New-NtRunspace
        $tenant = [guid]::NewGuid().ToString()
        $jwt = New-NtJwt
    }
    AfterEach {
        $runspace.Dispose()
        Restore-Environment $saved
    }

    It 'refuses an https:// proxy at once, naming the variable and saying to write http://' {
        # A plain proxy written with https:// (a common slip) would otherwise be spoken to in
        # TLS, and the call would wait out its timeout.
        $endpoint = Get-NtTlspcEndpoint $emulator -Tenant $tenant
        $tlsProxy = $proxy.Url -replace '^http://', 'https://user:proxy-password@'
        $proxied = @(Get-NtProxyLog $proxy).Count
        $result = Invoke-NtScript $runspace '$env:HTTP_PROXY = $Proxy; New-VcToken -Endpoint $Endpoint -Jwt $Jwt' @{ Proxy = $tlsProxy; Endpoint = $endpoint; Jwt = $jwt }
        $result.Error.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId -Kind InvalidArgument -Command New-VcToken)
        $result.Error.Exception.Message | Should -Match 'starts with https://'
        $result.Error.Exception.Message | Should -Match 'write the proxy''s URL with http://'
        $result.Error.Exception.Message | Should -Match 'the proxy set by HTTP_PROXY'
        $result.Error.Exception.Message | Should -Not -Match 'proxy-password'
        $result.Elapsed.TotalSeconds | Should -BeLessThan 5
        @(Get-NtProxyLog $proxy).Count | Should -Be $proxied
    }

    It 'sends an http call through HTTP_PROXY as an absolute-form request' {
        $endpoint = Get-NtTlspcEndpoint $emulator -Tenant $tenant
        $result = Invoke-NtScript $runspace '$env:HTTP_PROXY = $Proxy; New-VcToken -Endpoint $Endpoint -Jwt $Jwt' @{ Proxy = $proxy.Url; Endpoint = $endpoint; Jwt = $jwt }
        $result.Succeeded | Should -BeTrue
        Wait-NtLogLine -Path $proxy.LogPath -Pattern ('^POST ' + [regex]::Escape($endpoint) + '$') | Should -Not -BeNullOrEmpty
        @(Get-NtTokenRequest $emulator -Tenant $tenant).Count | Should -Be 1
        Find-NtSecret (Get-NtProxyLog $proxy) $jwt, (Get-NtPassword $result.Output[0].AccessToken) | Should -BeNullOrEmpty
    }

    It 'tunnels an https call through HTTPS_PROXY with CONNECT' -Skip:($IsMacOS) {
        # A proxy of its own: a tunnel, once open, carries later calls to the same host and port
        # without a new CONNECT, and a CONNECT line names only host and port.
        $tunnel = Start-NtProxy
        try {
            $endpoint = Get-NtTlspcEndpoint $emulator -Https -Tenant $tenant
            $result = Invoke-NtScript $runspace '$env:SSL_CERT_FILE = $Cert; $env:HTTPS_PROXY = $Proxy; New-VcToken -Endpoint $Endpoint -Jwt $Jwt' @{ Cert = $emulator.CertPath; Proxy = $tunnel.Url; Endpoint = $endpoint; Jwt = $jwt }
            $result.Succeeded | Should -BeTrue
            Wait-NtLogLine -Path $tunnel.LogPath -Pattern ('^CONNECT ' + [regex]::Escape((Get-NtTlsHostName)) + ':' + $emulator.HttpsPort + '$') | Should -Not -BeNullOrEmpty
            @(Get-NtTokenRequest $emulator -Tenant $tenant).Listener | Should -Be @('https')
        }
        finally { Stop-NtProxy $tunnel }
    }

    It 'prefers https_proxy to HTTPS_PROXY, as .NET does' -Skip:($IsMacOS) {
        # Environment names are case-sensitive on Linux (not on Windows): the upper-case one names
        # a proxy that cannot be reached, so the call only succeeds through the lower-case one.
        $tunnel = Start-NtProxy
        try {
            $endpoint = Get-NtTlspcEndpoint $emulator -Https -Tenant $tenant
            $result = Invoke-NtScript $runspace '$env:SSL_CERT_FILE = $Cert; $env:HTTPS_PROXY = $Dead; $env:https_proxy = $Proxy; New-VcToken -Endpoint $Endpoint -Jwt $Jwt' @{ Cert = $emulator.CertPath; Dead = "http://127.0.0.1:$(Get-NtFreePort)"; Proxy = $tunnel.Url; Endpoint = $endpoint; Jwt = $jwt }
            $result.Succeeded | Should -BeTrue
            Wait-NtLogLine -Path $tunnel.LogPath -Pattern ('^CONNECT ' + [regex]::Escape((Get-NtTlsHostName)) + ':' + $emulator.HttpsPort + '$') | Should -Not -BeNullOrEmpty
        }
        finally { Stop-NtProxy $tunnel }
    }

    It 'goes direct when NO_PROXY covers the host' {
        $direct = Get-NtTlspcEndpoint $emulator -Tenant $tenant
        $control = [guid]::NewGuid().ToString()
        $result = Invoke-NtScript $runspace @'
            $env:HTTP_PROXY = $Proxy
            $env:NO_PROXY = '127.0.0.1'
            New-VcToken -Endpoint $Direct -Jwt $Jwt
            Remove-Item Env:NO_PROXY
            New-VcToken -Endpoint $Control -Jwt $Jwt
'@ @{ Proxy = $proxy.Url; Direct = $direct; Control = (Get-NtTlspcEndpoint $emulator -Tenant $control); Jwt = $jwt }
        $result.Succeeded | Should -BeTrue
        $result.Output.Count | Should -Be 2
        # The second call went through the proxy; once the proxy logged it, it would have logged the first.
        Wait-NtLogLine -Path $proxy.LogPath -Pattern ([regex]::Escape($control)) | Should -Not -BeNullOrEmpty
        Get-NtProxyLog $proxy | Where-Object { $_.Contains($tenant) } | Should -BeNullOrEmpty
        @(Get-NtTokenRequest $emulator -Tenant $tenant).Count | Should -Be 1
    }

    It 'reports a proxy that cannot be reached as ConnectFailed, naming the proxy but not its password' {
        $port = Get-NtFreePort
        $endpoint = Get-NtTlspcEndpoint $emulator -Tenant $tenant
        $result = Invoke-NtFailingCall $emulator '$env:HTTP_PROXY = $Proxy; try { New-VcToken -Endpoint $Endpoint -Jwt $Jwt } finally { Remove-Item Env:HTTP_PROXY }' @{
            Proxy = "http://proxyuser:Pr0xy-Pa55w0rd-not-shown@127.0.0.1:$port"; Endpoint = $endpoint; Jwt = $jwt
        }
        $result.Requests | Should -Be 0
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind ConnectFailed -Command New-VcToken) -ExceptionType (Get-NtHttpExceptionType)
        $result.Error.CategoryInfo.Category | Should -Be 'ConnectionError'
        $result.Error.TargetObject | Should -BeExactly $endpoint
        $result.Error.Exception.Message | Should -Match ([regex]::Escape("127.0.0.1:$port"))
        $result.Error.Exception.Message | Should -Match 'proxy'
        Find-NtSecret (Get-NtVisibleText $result) 'Pr0xy-Pa55w0rd-not-shown' | Should -BeNullOrEmpty
    }

    It 'follows the default proxy ([System.Net.Http.HttpClient]::DefaultProxy) when no proxy variable is set' {
        $original = Get-DefaultProxy
        $bypassed = [guid]::NewGuid().ToString()
        $control = [guid]::NewGuid().ToString()
        $fetch = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt'
        try {
            $useProxy = [System.Net.WebProxy]::new($proxy.Url)
            Set-DefaultProxy $useProxy
            $through = Invoke-NtScript $runspace $fetch @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Tenant $tenant); Jwt = $jwt }
            # The same proxy with the emulator's host on its bypass list: IsBypassed decides.
            Set-DefaultProxy ([System.Net.WebProxy]::new($proxy.Url, $false, [string[]]@([regex]::Escape('127.0.0.1'))))
            $direct = Invoke-NtScript $runspace $fetch @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Tenant $bypassed); Jwt = $jwt }
            Set-DefaultProxy $useProxy
            $after = Invoke-NtScript $runspace $fetch @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Tenant $control); Jwt = $jwt }
        }
        finally { Set-DefaultProxy $original }
        $through.Succeeded | Should -BeTrue
        $direct.Succeeded | Should -BeTrue
        $after.Succeeded | Should -BeTrue
        Wait-NtLogLine -Path $proxy.LogPath -Pattern ([regex]::Escape($tenant)) | Should -Not -BeNullOrEmpty
        # Once the proxy logged the call after it, it would have logged the bypassed one.
        Wait-NtLogLine -Path $proxy.LogPath -Pattern ([regex]::Escape($control)) | Should -Not -BeNullOrEmpty
        Get-NtProxyLog $proxy | Where-Object { $_.Contains($bypassed) } | Should -BeNullOrEmpty
    }
}
