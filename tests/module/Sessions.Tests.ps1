# Each runspace has its own script session: a refresh sends that runspace's own endpoint and JWT
# (the emulator's log shows the JWT's subject), one request per refresh, and no runspace sees
# another's session.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator

    # A runspace whose script session was begun with a JWT of this subject on a tenant of its own.
    function New-SessionRunspace([string] $Subject) {
        $tenant = [guid]::NewGuid().ToString()
        $runspace = New-NtRunspace
        $begin = Invoke-NtScript $runspace '$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt' @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Tenant $tenant); Jwt = (New-NtJwt -Subject $Subject) }
        $begin.Succeeded | Should -BeTrue
        [pscustomobject]@{ Runspace = $runspace; Tenant = $tenant; Subject = $Subject }
    }

    # The subjects of the token requests since the log had $Skip of them, oldest first.
    function Get-SubjectsSince([int] $Skip) {
        @(Get-NtTokenRequest $emulator | Select-Object -Skip $Skip | ForEach-Object Sub)
    }
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'Script sessions of runspaces' {
    It 'refreshes with the runspace''s own endpoint and JWT and keeps the new token in $VenafiSession' {
        $own = New-SessionRunspace 'svc-own'
        try {
            $before = @(Get-NtTokenRequest $emulator).Count

            $result = Invoke-NtScript $own.Runspace '$old = $VenafiSession.Token.AccessToken.GetNetworkCredential().Password; New-VcToken; $old; $VenafiSession.Token.AccessToken.GetNetworkCredential().Password'

            $result.Succeeded | Should -BeTrue
            $result.Output[1] | Should -Not -BeExactly $result.Output[0]
            $requests = @(Get-NtTokenRequest $emulator | Select-Object -Skip $before)
            $requests.Count | Should -Be 1
            $requests[0].Tenant | Should -BeExactly $own.Tenant
            $requests[0].Sub | Should -BeExactly 'svc-own'
        }
        finally { $own.Runspace.Dispose() }
    }

    It 'sends each runspace''s own JWT when refreshes of two runspaces interleave, one request each' {
        $a = New-SessionRunspace 'svc-a'
        $b = New-SessionRunspace 'svc-b'
        try {
            $before = @(Get-NtTokenRequest $emulator).Count

            (Invoke-NtScript $a.Runspace 'New-VcToken').Succeeded | Should -BeTrue
            Get-SubjectsSince $before | Should -Be @('svc-a')
            (Invoke-NtScript $b.Runspace 'New-VcToken').Succeeded | Should -BeTrue
            Get-SubjectsSince $before | Should -Be @('svc-a', 'svc-b')
            (Invoke-NtScript $a.Runspace 'New-VcToken').Succeeded | Should -BeTrue

            $requests = @(Get-NtTokenRequest $emulator | Select-Object -Skip $before)
            $requests.Sub | Should -Be @('svc-a', 'svc-b', 'svc-a')
            $requests.Tenant | Should -Be @($a.Tenant, $b.Tenant, $a.Tenant)
        }
        finally { $a.Runspace.Dispose(); $b.Runspace.Dispose() }
    }

    It 'still refreshes the script session after a -VenafiSession call with another JWT' {
        $script = New-SessionRunspace 'svc-script'
        try {
            $other = Invoke-NtScript $script.Runspace '$null = New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Jwt } })' @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt -Subject 'svc-other') }
            $other.Succeeded | Should -BeTrue
            $before = @(Get-NtTokenRequest $emulator).Count

            (Invoke-NtScript $script.Runspace 'New-VcToken').Succeeded | Should -BeTrue

            Get-SubjectsSince $before | Should -Be @('svc-script')
        }
        finally { $script.Runspace.Dispose() }
    }

    It 'gives a runspace no session while another runspace has one' {
        $a = New-SessionRunspace 'svc-a'
        $fresh = New-NtRunspace
        try {
            $before = Get-NtRequestCount $emulator

            $result = Invoke-NtScript $fresh '$null -eq $VenafiSession; New-VcToken'

            $result.Output[0] | Should -BeTrue
            { throw $result.Error } | Should -Throw -ErrorId (Get-ExpectedErrorId -Kind MissingSession -Command New-VcToken)
            Get-NtRequestCount $emulator | Should -Be $before
        }
        finally { $a.Runspace.Dispose(); $fresh.Dispose() }
    }

    It 'keeps a runspace''s session working after another runspace with a session closed' {
        $a = New-SessionRunspace 'svc-a'
        $b = New-SessionRunspace 'svc-b'
        try {
            $a.Runspace.Dispose()
            $before = @(Get-NtTokenRequest $emulator).Count

            (Invoke-NtScript $b.Runspace 'New-VcToken').Succeeded | Should -BeTrue

            Get-SubjectsSince $before | Should -Be @('svc-b')
        }
        finally { $b.Runspace.Dispose() }
    }
}
