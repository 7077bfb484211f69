# Bad input to both commands. Each is refused before any request (the emulator receives
# nothing) with its own clear error; and, as Invoke-NtFailingCall checks, the session stays as
# it was and no secret reaches any record or the emulator's log.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator

    $expectedEndpointForm = '^Please enter a valid endpoint, eg\. https://api\.venafi\.cloud/v1/oauth2/v2\.0/<tenant-id>/token \(the Token Endpoint URL shown on the service account details page in TLSPC\)\. -Endpoint is not an absolute http\(s\) URL: '

    # The value a row names: itself, or one too long or too awkward to write in the row.
    function Resolve-Value([string] $Row) {
        switch ($Row) {
            '<payload not JSON>' { return New-NtJwtFromParts -Header '{"alg":"RS256","typ":"JWT"}' -Payload 'this is not JSON' }
            '<expired 2020-01-02T03:04:05Z>' { return New-NtJwt -Expires ([datetimeoffset]::new(2020, 1, 2, 3, 4, 5, [timespan]::Zero)) }
            '<1 MiB of x>' { return [string]::new('x', 1048576) }
            '<https URL of 1 MiB>' { return 'https://api.venafi.cloud/' + [string]::new('a', 1048576) }
            '<a JWT>' { return New-NtJwt }
            default { return $Row }
        }
    }

    # Runs a call that must be refused before any request and checks its error: id, category,
    # exception type (full name), message (a regular expression) and target: the endpoint when
    # the library refused the call ($Target 'Endpoint'), else $null (refused in PowerShell).
    function Assert-Refused([string] $Script, [hashtable] $Variables, [string] $Command, [string] $Id, [string] $Category, [string] $Exception, [string] $Message, [string] $Target) {
        $result = Invoke-NtFailingCall $emulator $Script $Variables
        $result.Requests | Should -Be 0 -Because 'bad input is refused before any request'
        $expectedId = if ($Id.StartsWith('NativeToken.')) { Get-ExpectedErrorId -Kind $Id.Substring('NativeToken.'.Length) -Command $Command } else { Get-ExpectedErrorId -Id $Id -Command $Command }
        # The engine's binding exception is internal: match its public base.
        $catchable = if ($Exception -eq 'System.ArgumentException') { [System.ArgumentException] } else { [System.Management.Automation.ParameterBindingException] }
        { throw $result.Error } | Should -Throw -ErrorId $expectedId -ExceptionType $catchable
        $result.Error.CategoryInfo.Category | Should -Be $Category
        $result.Error.Exception.GetType().FullName | Should -BeExactly $Exception
        $result.Error.Exception.Message | Should -Match $Message
        if ($Target -eq 'Endpoint') {
            # Compared as a flag: a megabyte-long endpoint would flood the failure message.
            ($result.Error.TargetObject -ceq $result.Endpoint) | Should -BeTrue -Because 'the target is the endpoint called'
        }
        else { $result.Error.TargetObject | Should -BeNullOrEmpty }
    }
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'New-VcToken -Jwt' {
    It 'refuses <Name>' -ForEach @(
        @{ Name = 'an empty JWT'; Row = ''; Id = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Exception = 'System.Management.Automation.ParameterBindingValidationException'
            Message = '^Cannot validate argument on parameter ''Jwt''\. The argument is null or empty\. ' }
        @{ Name = 'a blank JWT'; Row = '   '; Malformed = 'it has 1 dot-separated parts, expected 3 \(header\.payload\.signature\)' }
        @{ Name = 'a JWT of one part'; Row = 'not-a-jwt'; Malformed = 'it has 1 dot-separated parts, expected 3 \(header\.payload\.signature\)' }
        @{ Name = 'a JWT of four parts'; Row = 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln.c2ln'; Malformed = 'it has 4 dot-separated parts, expected 3 \(header\.payload\.signature\)' }
        @{ Name = 'a JWT part that is not base64url'; Row = 'ey+J.e30.c2ln'; Malformed = 'the header is not base64url' }
        @{ Name = 'a JWT whose payload is not JSON'; Row = '<payload not JSON>'; Malformed = 'the payload is not a JSON object' }
        @{ Name = 'an expired JWT, saying when it expired'; Row = '<expired 2020-01-02T03:04:05Z>'; Id = 'NativeToken.ExpiredJwt'
            Message = '^the JWT expired at 2020-01-02T03:04:05Z \(now \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); create a new JWT for the service account$' }
        @{ Name = 'a JWT of 1 MiB'; Row = '<1 MiB of x>'; Id = 'NativeToken.InvalidArgument'
            Message = '^jwt is too long: 1048576 bytes, at most 65536$' }
    ) {
        # A Malformed row is a NativeToken.MalformedJwt whose message says what is wrong.
        if ($_.ContainsKey('Malformed')) { $Id = 'NativeToken.MalformedJwt'; $Message = '^the JWT is malformed: ' + $Malformed + '$' }
        # Every row without its own Category is the module's refusal: an ArgumentException of
        # category InvalidArgument with the endpoint as its target.
        if ($_.ContainsKey('Category')) { $expected = @{ Category = $Category; Exception = $Exception; Target = $null } }
        else { $expected = @{ Category = 'InvalidArgument'; Exception = 'System.ArgumentException'; Target = 'Endpoint' } }
        Assert-Refused 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose' @{ Jwt = (Resolve-Value $Row) } New-VcToken $Id $expected.Category $expected.Exception $Message $expected.Target
    }
}

Describe 'New-VcToken -Endpoint' {
    It 'refuses <Row>' -ForEach @(
        @{ Row = 'not a url'; Id = 'NativeToken.InvalidUrl'; Message = '''not a url''\.$' }
        @{ Row = 'api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token'; Id = 'NativeToken.InvalidUrl'
            Message = '''api\.venafi\.cloud/v1/oauth2/v2\.0/2222c771-61f3-11ec-8a47-490a1e43c222/token''\.$' }
        @{ Row = '/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token'; Id = 'NativeToken.InvalidUrl'
            Message = '''/v1/oauth2/v2\.0/2222c771-61f3-11ec-8a47-490a1e43c222/token''\.$' }
        @{ Row = 'ftp://api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token'; Id = 'NativeToken.InvalidUrl'
            Message = '''ftp://api\.venafi\.cloud/v1/oauth2/v2\.0/2222c771-61f3-11ec-8a47-490a1e43c222/token''\.$' }
        @{ Row = '<1 MiB of x>'; Id = 'NativeToken.InvalidUrl'; Message = '''x{60}\.\.\.'' \(1048576 characters\)\.$' }
        # The JWT given as -Endpoint: never echoed.
        @{ Row = '<a JWT>'; Id = 'NativeToken.InvalidUrl'; Message = 'a value that looks like a JWT \(are -Endpoint and -Jwt swapped\?\)\.$' }
    ) {
        Assert-Refused 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose' @{ Endpoint = (Resolve-Value $Row) } New-VcToken $Id InvalidArgument System.ArgumentException ($expectedEndpointForm + $Message)
    }

    It 'refuses <Row>' -ForEach @(
        @{ Row = 'http://api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token'; Id = 'NativeToken.InsecureUrl'; Target = 'Endpoint'
            Message = '^refusing to send credentials over plain http to api\.venafi\.cloud; use https \(http is allowed only to loopback: 127\.0\.0\.0/8, ::1, localhost\)$' }
        @{ Row = '<https URL of 1 MiB>'; Id = 'NativeToken.InvalidArgument'; Target = 'Endpoint'; Message = '^endpoint is too long: 1048601 bytes, at most 65536$' }
    ) {
        Assert-Refused 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose' @{ Endpoint = (Resolve-Value $Row) } New-VcToken $Id InvalidArgument System.ArgumentException $Message 'Endpoint'
    }

    It 'refuses -Endpoint and -Jwt swapped without echoing the JWT' {
        # The marker endpoint and a JWT of the call's own, the wrong way round.
        $jwt = New-NtJwt
        $result = Invoke-NtFailingCall $emulator 'New-VcToken -Endpoint $Jwt -Jwt $Endpoint' @{ Jwt = $jwt }
        $result.Requests | Should -Be 0
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind InvalidUrl -Command New-VcToken) -ExceptionType ([System.ArgumentException])
        $result.Error.Exception.Message | Should -Match 'swapped'
    }

    It 'refuses positional arguments: New-VcToken has none' {
        $result = Invoke-NtFailingCall $emulator 'New-VcToken $Endpoint $Jwt'
        $result.Requests | Should -Be 0
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Id PositionalParameterNotFound -Command New-VcToken) -ExceptionType ([System.Management.Automation.ParameterBindingException])
    }
}

Describe 'New-VcToken -VenafiSession' {
    It 'refuses <Session>' -ForEach @(
        @{ Session = '$null'; Id = 'ParameterArgumentValidationError'; Category = 'InvalidData'; Exception = 'System.Management.Automation.ParameterBindingValidationException'
            Message = '^Cannot validate argument on parameter ''VenafiSession''\. The argument is null\. ' }
        @{ Session = '[pscustomobject]@{ Platform = ''VC'' }'; Id = 'NativeToken.MissingToken'; Category = 'InvalidArgument'; Exception = 'System.ArgumentException'
            Message = '^The VenafiSession has no Token \(with Token\.Endpoint and Token\.JWT\): it is a System\.Management\.Automation\.PSCustomObject; create it with New-VcToken -Endpoint -Jwt\.$' }
        @{ Session = '42'; Id = 'NativeToken.MissingToken'; Category = 'InvalidArgument'; Exception = 'System.ArgumentException'
            Message = '^The VenafiSession has no Token \(with Token\.Endpoint and Token\.JWT\): it is a System\.Int32; create it with New-VcToken -Endpoint -Jwt\.$' }
        @{ Session = '[pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } }'; Id = 'NativeToken.MissingEndpoint'; Category = 'InvalidArgument'; Exception = 'System.ArgumentException'
            Message = '^The VenafiSession has no token endpoint \(Token\.Endpoint\); create it with New-VcToken -Endpoint -Jwt\.$' }
        @{ Session = '[pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint } }'; Id = 'NativeToken.MissingJwt'; Target = 'Endpoint'; Category = 'InvalidArgument'; Exception = 'System.ArgumentException'
            Message = '^-Jwt must be provided directly or via a VenafiSession\. The VenafiSession has no JWT \(Token\.JWT\)\.$' }
        @{ Session = '[pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = 42 } }'; Id = 'NativeToken.InvalidJwtType'; Category = 'InvalidArgument'; Exception = 'System.ArgumentException'
            Message = '^The VenafiSession''s Token\.JWT is a System\.Int32: a JWT is a PSCredential \(password: the JWT\), a SecureString or a string\.$' }
    ) {
        Assert-Refused "New-VcToken -VenafiSession ($Session) -Verbose" @{} New-VcToken $Id $Category $Exception $Message $(if ($_.ContainsKey('Target')) { $Target })
    }
}

Describe 'New-ArmorApiToken' {
    It 'refuses <Case>' -ForEach @(
        @{ Case = 'an empty code'; Script = 'New-ArmorApiToken -Code '''' -Verbose'; Id = 'ParameterArgumentValidationError'; Category = 'InvalidData'
            Exception = 'System.Management.Automation.ParameterBindingValidationException'; Message = '^Cannot validate argument on parameter ''Code''\. The argument is null or empty\. ' }
        @{ Case = 'another grant type, naming it'; Script = 'New-ArmorApiToken -Code $Code -GrantType ''client_credentials'' -Verbose'; Id = 'NativeToken.InvalidGrantType'; Category = 'InvalidArgument'
            Exception = 'System.ArgumentException'; Message = '^The grant type ''client_credentials'' is not supported: -GrantType accepts only ''authorization_code''\.$' }
        @{ Case = 'a grant type that could be a misplaced code, without echoing it'; Script = 'New-ArmorApiToken -Code $Code -GrantType ''authorization-code'' -Verbose'; Id = 'NativeToken.InvalidGrantType'; Category = 'InvalidArgument'
            Exception = 'System.ArgumentException'; Message = '^The grant type is not supported: -GrantType accepts only ''authorization_code''\.$' }
        @{ Case = 'API version v2.0'; Script = 'New-ArmorApiToken -Code $Code -ApiVersion ''v2.0'' -Verbose'; Id = 'NativeToken.UnsupportedApiVersion'; Category = 'InvalidArgument'
            Exception = 'System.ArgumentException'; Message = '^The API version ''v2\.0'' has no token endpoint: -ApiVersion accepts only ''v1\.0''\.$' }
        @{ Case = 'API version internal'; Script = 'New-ArmorApiToken -Code $Code -ApiVersion ''internal'' -Verbose'; Id = 'NativeToken.UnsupportedApiVersion'; Category = 'InvalidArgument'
            Exception = 'System.ArgumentException'; Message = '^The API version ''internal'' has no token endpoint: -ApiVersion accepts only ''v1\.0''\.$' }
    ) {
        Assert-Refused $Script @{} New-ArmorApiToken $Id $Category $Exception $Message
    }
}
