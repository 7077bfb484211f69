# Ctrl+C stops a call at once, the way the engine does it: Stop() on a pipeline started with
# BeginInvoke() against a server that never answers. The call is cancelled in the native
# library, the pipeline stops with PipelineStoppedException, nothing leaks, the session is
# unchanged and the next call works.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
}

Describe 'Ctrl+C during New-VcToken' -Tag 'Compiled' {
    BeforeAll {
        $emulator = Start-NtEmulator
        # Without cancellation Stop() would wait for the timeout: keep that short, far above 1 s.
        $savedTimeout = $env:NATIVETOKEN_TIMEOUT_SEC
        $env:NATIVETOKEN_TIMEOUT_SEC = '10'

        $baseline = New-NtBaseline $emulator
        $hangTenant = [guid]::NewGuid().ToString()
        $hangEndpoint = Get-NtTlspcEndpoint $emulator -Fault 'hang' -Tenant $hangTenant
        $callJwt = New-NtJwt
        $baseline.Runspace.SessionStateProxy.SetVariable('HangEndpoint', $hangEndpoint)
        $baseline.Runspace.SessionStateProxy.SetVariable('CallJwt', $callJwt)

        $ps = [powershell]::Create()
        $ps.Runspace = $baseline.Runspace
        $null = $ps.AddScript('New-VcToken -Endpoint $HangEndpoint -Jwt $CallJwt -Verbose')
        $handle = $ps.BeginInvoke()
        # The emulator logs the request when it arrives: from then on the call waits for an answer.
        $arrived = Wait-NtLogLine -Path $emulator.LogPath -Pattern "/$hangTenant/token\S* hang "
        Start-Sleep -Milliseconds 200

        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        $ps.Stop()
        $stopTime = $watch.Elapsed
        $state = $ps.InvocationStateInfo.State
        $endException = $null
        try { $null = $ps.EndInvoke($handle) } catch { $endException = $_.Exception }
        while ($endException -is [System.Management.Automation.MethodInvocationException] -and $null -ne $endException.InnerException) { $endException = $endException.InnerException }
        $stopped = Get-NtInvocationResult -PowerShell $ps -Exception $endException -Elapsed $stopTime
        $ps.Dispose()
    }
    AfterAll {
        $baseline.Runspace.Dispose()
        $env:NATIVETOKEN_TIMEOUT_SEC = $savedTimeout
        Stop-NtEmulator $emulator
    }

    It 'stops within 1 s of Stop()' {
        $arrived | Should -Not -BeNullOrEmpty -Because 'the call reached the server before Ctrl+C'
        $stopTime.TotalSeconds | Should -BeLessThan 1
        $state | Should -Be 'Stopped'
    }

    It 'ends the pipeline with PipelineStoppedException and writes no error record' {
        $endException | Should -BeOfType ([System.Management.Automation.PipelineStoppedException])
        $stopped.Errors | Should -BeNullOrEmpty
    }

    It 'leaks no secret into any record or the emulator''s log' {
        $secrets = @($baseline.Secrets) + $callJwt
        Find-NtSecret (Get-NtVisibleText $stopped) $secrets | Should -BeNullOrEmpty
        Find-NtSecret (Get-NtEmulatorLogText $emulator) $secrets | Should -BeNullOrEmpty
    }

    It 'leaves the session as it was, and the next refresh sends the session''s own JWT' {
        Compare-NtBaseline $baseline | Should -BeNullOrEmpty
        $refresh = @(Invoke-NtBaselineRefresh $baseline)
        $refresh.Count | Should -Be 1
        $refresh[0].Sub | Should -BeExactly 'svc-marker'
    }

    It 'sent the hanging request once, and the next call to a server that answers works at once' {
        @(Get-NtTokenRequest $emulator -Tenant $hangTenant).Count | Should -Be 1
        $next = Invoke-NtScript $baseline.Runspace 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt' @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt) }
        $next.Succeeded | Should -BeTrue
        $next.Elapsed.TotalSeconds | Should -BeLessThan 1
    }
}
