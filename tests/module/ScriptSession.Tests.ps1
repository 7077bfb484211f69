# Bare New-VcToken refreshes the script session ($VenafiSession) in place, from what
# $VenafiSession holds now; its errors when there is no usable session.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator
    $jwtMissing = '-Jwt must be provided directly or via a VenafiSession.'
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'New-VcToken without parameters' {
    BeforeEach {
        $runspace = New-NtRunspace
    }
    AfterEach {
        $runspace.Dispose()
    }

    It 'runs example 1 of the help: refreshes the token in $VenafiSession in place and outputs nothing' {
        $example = (Get-NtHelpFile New-VcToken).Examples[0]
        $example.Title | Should -BeExactly 'EXAMPLE 1'
        $jwt = New-NtJwt
        $endpoint = Get-NtTlspcEndpoint $emulator
        $begin = Invoke-NtScript $runspace '$t = New-VcToken -Endpoint $Endpoint -Jwt $Jwt; $a1 = $t.AccessToken; $e1 = $t.Expires; $j1 = $t.JWT' @{ Endpoint = $endpoint; Jwt = $jwt }
        $begin.Succeeded | Should -BeTrue
        $before = Get-NtRequestCount $emulator

        $result = Invoke-NtScript $runspace $example.Code

        $result.Succeeded | Should -BeTrue
        $result.Output | Should -BeNullOrEmpty
        Get-NtRequestCount $emulator | Should -Be ($before + 1)
        $check = (Invoke-NtScript $runspace @'
            [pscustomobject]@{
                SameToken     = [object]::ReferenceEquals($VenafiSession.Token, $t)
                SameJwt       = [object]::ReferenceEquals($t.JWT, $j1)
                NewCredential = -not [object]::ReferenceEquals($t.AccessToken, $a1)
                OldAccess     = $a1.GetNetworkCredential().Password
                NewAccess     = $t.AccessToken.GetNetworkCredential().Password
                NotEarlier    = $t.Expires -ge $e1
                Kind          = $t.Expires.Kind
                Names         = ($t.PSObject.Properties.Name -join ',')
            }
'@).Output[0]
        $check.SameToken | Should -BeTrue -Because 'the token object in $VenafiSession is updated, not replaced'
        $check.SameJwt | Should -BeTrue
        $check.NewCredential | Should -BeTrue
        $check.NewAccess | Should -Not -BeExactly $check.OldAccess
        $check.NewAccess | Should -MatchExactly '^[0-9a-f]{32,}$'
        $check.NotEarlier | Should -BeTrue
        $check.Kind | Should -Be ([System.DateTimeKind]::Utc)
        $check.Names | Should -BeExactly 'Endpoint,AccessToken,JWT,Expires'
    }

    It 'keeps refreshing: five refreshes give five new tokens' {
        $result = Invoke-NtScript $runspace @'
            $null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
            $seen = @{}
            for ($i = 0; $i -lt 5; $i++) {
                New-VcToken
                $seen[$VenafiSession.Token.AccessToken.GetNetworkCredential().Password] = 1
            }
            $seen.Count
'@ @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt) }
        $result.Succeeded | Should -BeTrue
        $result.Output | Should -Be 5
    }

    It 'refreshes a session the script assigned to $VenafiSession itself, in place' {
        $result = Invoke-NtScript $runspace @'
            $VenafiSession = [pscustomobject]@{
                Platform = 'VC'
                Server   = 'ignored'
                Token    = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Jwt }
            }
            $tok = $VenafiSession.Token
            New-VcToken
            [pscustomobject]@{
                Same   = [object]::ReferenceEquals($VenafiSession.Token, $tok)
                Names  = ($tok.PSObject.Properties.Name -join ',')
                Access = $tok.AccessToken.GetNetworkCredential().Password
                Kind   = $tok.Expires.Kind
            }
'@ @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt) }
        $result.Succeeded | Should -BeTrue
        $check = $result.Output[0]
        $check.Same | Should -BeTrue
        $check.Names | Should -BeExactly 'Endpoint,JWT,AccessToken,Expires'
        $check.Access | Should -MatchExactly '^[0-9a-f]{32,}$'
        $check.Kind | Should -Be ([System.DateTimeKind]::Utc)
    }

    It 'uses the JWT now in $VenafiSession.Token.JWT when the script replaced it' {
        $tenant = [guid]::NewGuid().ToString()
        $second = New-NtJwt -Subject 'svc-second'
        $result = Invoke-NtScript $runspace @'
            $null = New-VcToken -Endpoint $Endpoint -Jwt $First
            $VenafiSession.Token.JWT = [pscredential]::new('JWT', [System.Net.NetworkCredential]::new('', $Second).SecurePassword)
            New-VcToken
            $VenafiSession.Token.JWT.GetNetworkCredential().Password
'@ @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Tenant $tenant); First = (New-NtJwt -Subject 'svc-first'); Second = $second }
        $result.Succeeded | Should -BeTrue
        $result.Output | Should -BeExactly $second
        @(Get-NtTokenRequest $emulator -Tenant $tenant).Sub | Should -Be @('svc-first', 'svc-second')
    }

    It 'uses the endpoint now in $VenafiSession.Token.Endpoint when the script replaced it' {
        $first = [guid]::NewGuid().ToString()
        $second = [guid]::NewGuid().ToString()
        $result = Invoke-NtScript $runspace @'
            $null = New-VcToken -Endpoint $First -Jwt $Jwt
            $VenafiSession.Token.Endpoint = $Second
            New-VcToken
'@ @{ First = (Get-NtTlspcEndpoint $emulator -Tenant $first); Second = (Get-NtTlspcEndpoint $emulator -Tenant $second); Jwt = (New-NtJwt -Subject 'svc-moved') }
        $result.Succeeded | Should -BeTrue
        @(Get-NtTokenRequest $emulator -Tenant $first).Count | Should -Be 1
        @(Get-NtTokenRequest $emulator -Tenant $second).Sub | Should -Be @('svc-moved')
    }

    It 'uses the token object now in $VenafiSession.Token when the script replaced it' {
        $tenant = [guid]::NewGuid().ToString()
        $result = Invoke-NtScript $runspace @'
            $null = New-VcToken -Endpoint $Endpoint -Jwt $First
            $VenafiSession.Token = [pscustomobject]@{ Endpoint = $Other; JWT = $Second }
            New-VcToken
            $VenafiSession.Token.AccessToken.GetNetworkCredential().Password
'@ @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Other = (Get-NtTlspcEndpoint $emulator -Tenant $tenant); First = (New-NtJwt -Subject 'svc-first'); Second = (New-NtJwt -Subject 'svc-replaced') }
        $result.Succeeded | Should -BeTrue
        $result.Output | Should -MatchExactly '^[0-9a-f]{32,}$'
        @(Get-NtTokenRequest $emulator -Tenant $tenant).Sub | Should -Be @('svc-replaced')
    }
}

Describe 'New-VcToken without a usable script session' {
    It 'says a JWT is needed when there is no session at all' {
        $result = Invoke-NtScript -Script 'New-VcToken'
        $result.Output | Should -BeNullOrEmpty
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind MissingSession -Command New-VcToken) -ExceptionType ([System.ArgumentException])
        $result.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $result.Error.Exception.Message | Should -BeExactly $jwtMissing
        $result.Error.TargetObject | Should -BeNullOrEmpty
    }

    It 'says a JWT is needed when $VenafiSession.Token has no JWT' {
        $result = Invoke-NtScript -Script '$VenafiSession = [pscustomobject]@{ Platform = "VC"; Token = [pscustomobject]@{ Endpoint = $Endpoint } }; New-VcToken' -Variables @{ Endpoint = (Get-NtTlspcEndpoint $emulator) }
        $result.Output | Should -BeNullOrEmpty
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind MissingJwt -Command New-VcToken) -ExceptionType ([System.ArgumentException])
        $result.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $result.Error.Exception.Message | Should -BeExactly $jwtMissing
    }

    It 'says a JWT is needed when $VenafiSession has no Token' {
        $result = Invoke-NtScript -Script '$VenafiSession = [pscustomobject]@{ Platform = "VC" }; New-VcToken'
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind MissingJwt -Command New-VcToken) -ExceptionType ([System.ArgumentException])
        $result.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $result.Error.Exception.Message | Should -BeExactly $jwtMissing
    }

    It 'says Token.Endpoint is missing when $VenafiSession has a JWT but no endpoint' {
        $result = Invoke-NtScript -Script '$VenafiSession = [pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } }; New-VcToken' -Variables @{ Jwt = (New-NtJwt) }
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind MissingEndpoint -Command New-VcToken) -ExceptionType ([System.ArgumentException])
        $result.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        $result.Error.Exception.Message | Should -Match 'Token\.Endpoint'
    }

    It 'refuses an expired JWT in $VenafiSession before sending anything' {
        $before = Get-NtRequestCount $emulator
        $result = Invoke-NtScript -Script '$VenafiSession = [pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Jwt } }; New-VcToken' -Variables @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt -ValidFor ([timespan]::FromHours(-1))) }
        { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind ExpiredJwt -Command New-VcToken) -ExceptionType ([System.ArgumentException])
        $result.Error.CategoryInfo.Category | Should -Be 'InvalidArgument'
        Get-NtRequestCount $emulator | Should -Be $before
    }

    It 'leaves $VenafiSession as it was when a refresh fails' {
        $result = Invoke-NtScript -Script @'
            $null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
            $before = $VenafiSession.Token.AccessToken
            $expires = $VenafiSession.Token.Expires
            $VenafiSession.Token.Endpoint = $Failing
            try { New-VcToken } catch { $caught = $_ }
            [pscustomobject]@{
                Id      = $caught.FullyQualifiedErrorId
                Same    = [object]::ReferenceEquals($before, $VenafiSession.Token.AccessToken)
                Expires = $VenafiSession.Token.Expires -eq $expires
            }
'@ -Variables @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt); Failing = (Get-NtTlspcEndpoint $emulator -Fault 'status=500') }
        $result.Succeeded | Should -BeTrue
        $result.Output[0].Id | Should -BeExactly (Get-ExpectedErrorId -Kind HttpStatus -Command New-VcToken)
        $result.Output[0].Same | Should -BeTrue
        $result.Output[0].Expires | Should -BeTrue
    }
}
