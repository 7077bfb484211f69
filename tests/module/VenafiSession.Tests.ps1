# New-VcToken -VenafiSession: a new token from the session object given (the module's own, or a
# VenafiPS-shaped one made by hand), the script session left alone.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator
    $endpoint = Get-NtTlspcEndpoint $emulator

    # The token object of the help (see VcToken.Tests.ps1 for every detail of it).
    function Assert-TokenObject($Token, [string] $Endpoint, [string] $Jwt) {
        $Token.PSObject.BaseObject | Should -BeOfType ([System.Management.Automation.PSCustomObject])
        ($Token.PSObject.Properties.Name -join ',') | Should -BeExactly 'Endpoint,AccessToken,JWT,Expires'
        $Token.Endpoint | Should -BeExactly $Endpoint
        $Token.AccessToken.UserName | Should -BeExactly 'AccessToken'
        Get-NtPassword $Token.AccessToken | Should -MatchExactly '^[0-9a-f]{32,}$'
        $Token.JWT.UserName | Should -BeExactly 'JWT'
        Get-NtPassword $Token.JWT | Should -BeExactly $Jwt
        $Token.Expires.Kind | Should -Be ([System.DateTimeKind]::Utc)
    }
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'New-VcToken -VenafiSession' {
    It 'runs example 3 of the help with the module''s own session: returns a new token and leaves the session alone' {
        $example = (Get-NtHelpFile New-VcToken).Examples[2]
        $example.Title | Should -BeExactly 'EXAMPLE 3'
        $jwt = New-NtJwt
        $runspace = New-NtRunspace
        try {
            $begin = Invoke-NtScript $runspace '$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt; $sess = $VenafiSession; $old = $sess.Token.AccessToken' @{ Endpoint = $endpoint; Jwt = $jwt }
            $begin.Succeeded | Should -BeTrue

            $result = Invoke-NtScript $runspace $example.Code

            $result.Succeeded | Should -BeTrue
            $result.Output.Count | Should -Be 1
            Assert-TokenObject $result.Output[0] $endpoint $jwt
            $check = (Invoke-NtScript $runspace @'
                [pscustomobject]@{
                    Unchanged = [object]::ReferenceEquals($sess.Token.AccessToken, $old)
                    Same      = [object]::ReferenceEquals($sess, $VenafiSession)
                    Different = $old.GetNetworkCredential().Password -ne $Result.AccessToken.GetNetworkCredential().Password
                }
'@ @{ Result = $result.Output[0] }).Output[0]
            $check.Unchanged | Should -BeTrue -Because '-VenafiSession returns a new token and changes no session'
            $check.Same | Should -BeTrue
            $check.Different | Should -BeTrue
        }
        finally { $runspace.Dispose() }
    }

    It 'takes a hand-made session whose Token.JWT is a PSCredential, and begins no script session' {
        $jwt = New-NtJwt
        $result = Invoke-NtScript -Script @'
            $sess = [pscustomobject]@{
                Platform = 'VC'
                Token    = [pscustomobject]@{
                    Endpoint = $Endpoint
                    JWT      = [pscredential]::new('JWT', [System.Net.NetworkCredential]::new('', $Jwt).SecurePassword)
                }
            }
            New-VcToken -VenafiSession $sess
            $null -eq $VenafiSession
'@ -Variables @{ Endpoint = $endpoint; Jwt = $jwt }
        $result.Succeeded | Should -BeTrue
        Assert-TokenObject $result.Output[0] $endpoint $jwt
        $result.Output[1] | Should -BeTrue -Because '-VenafiSession is stateless'
    }

    It 'takes <Name>' -ForEach @(
        @{ Name = 'a hand-made session whose Token.JWT is a string'; Script = 'New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Jwt } })' }
        @{ Name = 'a hand-made session whose Token.JWT is a SecureString'; Script = 'New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = [System.Net.NetworkCredential]::new("", $Jwt).SecurePassword } })' }
        @{ Name = 'a session made of hashtables'; Script = 'New-VcToken -VenafiSession @{ Token = @{ Endpoint = $Endpoint; JWT = $Jwt } }' }
        @{ Name = '-Jwt for a session that holds no JWT'; Script = 'New-VcToken -Jwt $Jwt -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint } })' }
    ) {
        $jwt = New-NtJwt
        $result = Invoke-NtScript -Script $Script -Variables @{ Endpoint = $endpoint; Jwt = $jwt }
        $result.Succeeded | Should -BeTrue
        Assert-TokenObject $result.Output[0] $endpoint $jwt
    }

    It 'sends -Jwt instead of the JWT the session holds' {
        # The stored JWT has expired: it would be refused if it were used.
        $given = New-NtJwt
        $result = Invoke-NtScript -Script 'New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Stored } }) -Jwt $Given' -Variables @{ Endpoint = $endpoint; Stored = (New-NtJwt -ValidFor ([timespan]::FromHours(-1))); Given = $given }
        $result.Succeeded | Should -BeTrue
        Assert-TokenObject $result.Output[0] $endpoint $given
    }
}
