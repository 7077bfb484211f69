# New-ArmorApiToken against the emulator: the base URL from $Global:ArmorSession (Server, Port),
# the defaults of -GrantType and -ApiVersion, positional calls, codes with '+', '/' and '='.
#
# Armor's URL is https://<Server>:<Port>. Calls that must reach the emulator over HTTPS run in a
# fresh pwsh that trusts its certificate through SSL_CERT_FILE set before pwsh starts (the way
# every version of the module reads it; tested on Linux and Windows); the others run in this process with a Server given as a URL on the emulator's HTTP
# listener, or fail before TLS.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator
    $trusted = @{ SSL_CERT_FILE = $emulator.CertPath }
    $tlsHost = Get-NtTlsHostName
    $httpsBase = "https://$($tlsHost):$($emulator.HttpsPort)"
    $httpSession = '$Global:ArmorSession = [pscustomobject]@{ Server = $Server; ApiVersion = ''v1.0'' }'
    $httpsSession = '$Global:ArmorSession = [pscustomobject]@{ Server = $TlsHost; Port = $Port; ApiVersion = ''v1.0'' }'

    # The output of the original: access_token (32 hex digits), id_token (600 characters),
    # expires_in (minutes, the integer type ConvertFrom-Json gives: Int64 in PowerShell 7), token_type,
    # in this order.
    function Assert-ArmorOutput($Output) {
        ($Output.PSObject.Properties.Name -join ',') | Should -BeExactly 'access_token,id_token,expires_in,token_type'
        $Output.access_token | Should -BeOfType ([string])
        $Output.access_token | Should -MatchExactly '^[0-9a-f]{32}$'
        $Output.id_token | Should -BeOfType ([string])
        $Output.id_token.Length | Should -Be 600
        $Output.expires_in.GetType() | Should -Be ('{"n":15}' | ConvertFrom-Json).n.GetType()
        $Output.expires_in | Should -Be 15
        $Output.token_type | Should -BeExactly 'Bearer'
    }

    # Runs steps in a fresh pwsh that trusts the emulator, with the global Armor session on its
    # HTTPS listener; returns the steps' results and how many Armor token requests it received.
    function Invoke-TrustedArmor([string[]] $Step, [hashtable] $Variables = @{}) {
        $before = Get-NtRequestCount $emulator armor
        $Variables['Port'] = $emulator.HttpsPort
        $Variables['TlsHost'] = $tlsHost
        $steps = @(Invoke-NtProcess -Environment $trusted -Step (@($httpsSession) + $Step) -Variables $Variables)
        [pscustomobject]@{ Steps = @($steps | Select-Object -Skip 1); Requests = (Get-NtRequestCount $emulator armor) - $before }
    }
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'New-ArmorApiToken over HTTPS to $Global:ArmorSession.Server:Port' -Skip:($IsMacOS) {
    It 'runs example 1 of the help: returns the token object after one request' {
        $example = @((Get-NtHelpFile New-ArmorApiToken).Examples)
        $example.Count | Should -Be 1
        $example[0].Code | Should -BeExactly 'New-ArmorApiToken -Code ''+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo='''

        $run = Invoke-TrustedArmor $example[0].Code

        $run.Steps[0].Succeeded | Should -BeTrue
        $run.Steps[0].Output.Count | Should -Be 1
        $run.Steps[0].OutputTypes | Should -Be @('System.Management.Automation.PSCustomObject')
        Assert-ArmorOutput $run.Steps[0].Output[0]
        $run.Requests | Should -Be 1
        Find-NtSecret $run.Steps[0].VisibleText '+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo=' | Should -BeNullOrEmpty
    }

    It 'says with -Verbose where it posts, how long it took and when the token expires, without secrets' {
        $code = New-NtArmorCode

        $run = Invoke-TrustedArmor 'New-ArmorApiToken -Code $Code -Verbose' @{ Code = $code }

        $result = $run.Steps[0]
        $result.Succeeded | Should -BeTrue
        $result.Verbose | Where-Object { $_.StartsWith("POST $httpsBase/auth/token") } | Should -Not -BeNullOrEmpty
        $result.Verbose | Where-Object { $_ -match ' ms' -and $_ -match 'expires' } | Should -Not -BeNullOrEmpty
        $result.Verbose | Where-Object { $_.StartsWith('native: ') } | Should -Not -BeNullOrEmpty
        Find-NtSecret $result.VisibleText $code, $result.Output[0].access_token, $result.Output[0].id_token | Should -BeNullOrEmpty
    }

    It 'reports a code the server refuses as HTTP 400 from the https URL, without the code' {
        # Well-formed base64 but not 32 bytes: the emulator answers 400 "Invalid authorization code".
        $code = [Convert]::ToBase64String([byte[]](1..24))

        $run = Invoke-TrustedArmor 'New-ArmorApiToken -Code $Code -Verbose' @{ Code = $code }

        $result = $run.Steps[0]
        $result.Succeeded | Should -BeFalse
        $result.Output | Should -BeNullOrEmpty
        $result.Error.FullyQualifiedErrorId | Should -BeExactly (Get-ExpectedErrorId -Kind HttpStatus -Command New-ArmorApiToken)
        $result.Error.Category | Should -Be 'ProtocolError'
        $result.Error.ExceptionType | Should -BeExactly (Get-NtHttpExceptionType).FullName
        $result.Error.Data['HttpStatus'] | Should -Be 400
        $result.Error.Message | Should -BeExactly "HTTP 400 Bad Request from $httpsBase/auth/token: Invalid authorization code"
        $result.Error.TargetObject | Should -BeExactly "$httpsBase/auth/token"
        $run.Requests | Should -Be 1
        Find-NtSecret $result.VisibleText $code | Should -BeNullOrEmpty
    }
}

Describe 'New-ArmorApiToken' {
    BeforeEach {
        $runspace = New-NtRunspace
        $null = Invoke-NtScript $runspace $httpSession @{ Server = $emulator.HttpUrl }
    }
    AfterEach {
        $runspace.Dispose()
    }

    It 'posts to a Server given as a URL and returns the token object' {
        $before = Get-NtRequestCount $emulator armor
        $result = Invoke-NtScript $runspace 'New-ArmorApiToken -Code $Code -Verbose' @{ Code = (New-NtArmorCode) }
        $result.Succeeded | Should -BeTrue
        Assert-ArmorOutput $result.Output[0]
        $result.Verbose | Where-Object { $_.StartsWith("POST $($emulator.HttpUrl)/auth/token") } | Should -Not -BeNullOrEmpty
        Get-NtRequestCount $emulator armor | Should -Be ($before + 1)
    }

    It 'takes code, grant type and API version by position, in any casing' {
        $result = Invoke-NtScript $runspace @'
            New-ArmorApiToken $Code 'AUTHORIZATION_CODE' 'v1.0'
            New-ArmorApiToken $Code2
            New-ArmorApiToken -Code $Code3 -GrantType 'Authorization_code' -ApiVersion 'V1.0'
'@ @{ Code = (New-NtArmorCode); Code2 = (New-NtArmorCode); Code3 = (New-NtArmorCode) }
        $result.Succeeded | Should -BeTrue
        $result.Output.Count | Should -Be 3
        foreach ($output in $result.Output) { Assert-ArmorOutput $output }
    }

    It 'sends a code with +, / and = unchanged' {
        # The emulator takes only base64 of 32 bytes: a '+' turned into a space (form decoding)
        # or a lost '=' would be refused, as the second call shows.
        $code = New-NtArmorCode
        $code | Should -Match '[+]'
        $code | Should -Match '/'
        $code | Should -Match '='
        $result = Invoke-NtScript $runspace 'New-ArmorApiToken -Code $Code; try { New-ArmorApiToken -Code $Code.Replace("+", " ") } catch { $_.FullyQualifiedErrorId }' @{ Code = $code }
        Assert-ArmorOutput $result.Output[0]
        $result.Output[1] | Should -BeExactly (Get-ExpectedErrorId -Kind HttpStatus -Command New-ArmorApiToken)
    }

    It 'defaults -ApiVersion to v1.0 when $Global:ArmorSession has none' {
        $result = Invoke-NtScript $runspace '$Global:ArmorSession = [pscustomobject]@{ Server = $Server }; New-ArmorApiToken -Code $Code' @{ Server = $emulator.HttpUrl; Code = (New-NtArmorCode) }
        $result.Succeeded | Should -BeTrue
        Assert-ArmorOutput $result.Output[0]
    }

    It 'defaults -ApiVersion to $Global:ArmorSession.ApiVersion' {
        # A version without a token endpoint shows that the global session's value was taken.
        $before = Get-NtRequestCount $emulator all
        $result = Invoke-NtScript $runspace '$Global:ArmorSession.ApiVersion = "internal"; New-ArmorApiToken -Code $Code' @{ Code = (New-NtArmorCode) }
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind UnsupportedApiVersion -Command New-ArmorApiToken) -ExceptionType ([System.ArgumentException])
        $result.Error.Exception.Message | Should -Match '''internal'''
        Get-NtRequestCount $emulator all | Should -Be $before
    }

    It 'refuses a code given as grant type, without echoing the code' {
        $code = New-NtArmorCode
        $result = Invoke-NtScript $runspace 'New-ArmorApiToken ''authorization_code'' $Code' @{ Code = $code }
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind InvalidGrantType -Command New-ArmorApiToken) -ExceptionType ([System.ArgumentException])
        $result.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Find-NtSecret (Get-NtVisibleText $result) $code | Should -BeNullOrEmpty
    }

    It 'reports a code the server refuses as HTTP 400, a protocol error' {
        $code = [Convert]::ToBase64String([byte[]](1..24))
        $result = Invoke-NtScript $runspace 'New-ArmorApiToken -Code $Code' @{ Code = $code }
        $result.Output | Should -BeNullOrEmpty
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind HttpStatus -Command New-ArmorApiToken) -ExceptionType (Get-NtHttpExceptionType)
        $result.Error.CategoryInfo.Category | Should -Be 'ProtocolError'
        Get-NtHttpStatus $result.Error.Exception | Should -Be 400
        $result.Error.Exception.Message | Should -BeExactly "HTTP 400 Bad Request from $($emulator.HttpUrl)/auth/token: Invalid authorization code"
        $result.Error.TargetObject | Should -BeExactly "$($emulator.HttpUrl)/auth/token"
        Find-NtSecret (Get-NtVisibleText $result) $code | Should -BeNullOrEmpty
    }

    It 'defaults the port to 443' {
        # Nothing serves Armor on 127.0.0.1:443 here: the call fails, but says where it went.
        $result = Invoke-NtScript $runspace '$Global:ArmorSession = [pscustomobject]@{ Server = "127.0.0.1" }; New-ArmorApiToken -Code $Code -Verbose' @{ Code = (New-NtArmorCode) }
        $result.Succeeded | Should -BeFalse
        $result.Verbose | Where-Object { $_.StartsWith('POST https://127.0.0.1:443/auth/token') } | Should -Not -BeNullOrEmpty
        $result.Error.TargetObject | Should -BeExactly 'https://127.0.0.1:443/auth/token'
    }

    It 'puts an IPv6 Server in brackets' {
        $port = Get-NtFreePort
        $result = Invoke-NtScript $runspace '$Global:ArmorSession = [pscustomobject]@{ Server = "::1"; Port = $Port }; New-ArmorApiToken -Code $Code -Verbose' @{ Port = $port; Code = (New-NtArmorCode) }
        $result.Succeeded | Should -BeFalse
        $result.Verbose | Where-Object { $_.StartsWith("POST https://[::1]:$port/auth/token") } | Should -Not -BeNullOrEmpty
        $result.Error.TargetObject | Should -BeExactly "https://[::1]:$port/auth/token"
    }
}
