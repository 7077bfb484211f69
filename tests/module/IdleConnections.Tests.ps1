# A call after the server closed the idle keep-alive connection (docs/ERRORS.md, "Retries"):
# against the emulator started with --keepalive-timeout, the call made after that timeout
# succeeds, the emulator counts one request for it, and -Verbose shows one attempt, no back-off,
# and says that the kept connection had been closed; for each way the emulator closes (a FIN, a
# reset, and over HTTPS a TLS close_notify too).
#
# HTTP calls run in a runspace of this process; HTTPS calls in a fresh pwsh that trusts the
# emulator's certificate through SSL_CERT_FILE set before it starts (Linux only, as in
# Armor.Tests.ps1).

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force

    # The emulator closes connections idle this long; the tests wait three times as long.
    $keepAliveSeconds = '0.2'
    $idleMilliseconds = 600
    $fetch = 'New-VcToken -Endpoint $Endpoint -Jwt $Jwt'
    $closedWhileIdle = 'the server had closed the connection kept from an earlier answer while it was idle; the request went on a new connection'

    function Start-ClosingEmulator([string] $Close) {
        Start-NtEmulator -ArgumentList @('--keepalive-timeout', $keepAliveSeconds, '--idle-close', $Close)
    }

    # The native library's trace lines in a verbose stream, without their prefix.
    function Get-NativeTrace([string[]] $Verbose) {
        @($Verbose | Where-Object { $_.StartsWith('native: ') } | ForEach-Object { $_.Substring('native: '.Length) })
    }

    # The checks of the call after idle: one attempt, no back-off, what happened said.
    function Assert-CallAfterIdle([string[]] $Verbose) {
        $trace = Get-NativeTrace $Verbose
        @($trace -match '^attempt \d+: ').Count | Should -Be 1 -Because ($trace -join "`n")
        @($trace -match '^attempt 1: POST .* -> HTTP 200 OK in ').Count | Should -Be 1
        @($trace -match 'retrying in').Count | Should -Be 0 -Because ($trace -join "`n")
        $trace | Should -Contain $closedWhileIdle
    }
}

Describe 'A call after the server closed the idle connection' {
    It 'over HTTP closed with <Close>: succeeds with one request, one attempt and no back-off' -ForEach @(
        @{ Close = 'fin' }
        @{ Close = 'reset' }
    ) {
        $emulator = Start-ClosingEmulator $Close
        $runspace = New-NtRunspace
        try {
            $variables = @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt) }
            (Invoke-NtScript $runspace $fetch $variables).Succeeded | Should -BeTrue
            Start-Sleep -Milliseconds $idleMilliseconds
            (Get-NtEmulatorLogText $emulator) -join "`n" | Should -Match 'closing a connection idle for'
            $before = Get-NtRequestCount $emulator

            $result = Invoke-NtScript $runspace "$fetch -Verbose" $variables

            $result.Succeeded | Should -BeTrue
            (Get-NtRequestCount $emulator) - $before | Should -Be 1
            Assert-CallAfterIdle $result.Verbose
        }
        finally {
            $runspace.Dispose()
            Stop-NtEmulator $emulator
        }
    }

    It 'over HTTPS closed with <Close>: succeeds with one request, one attempt and no back-off' -ForEach @(
        @{ Close = 'close-notify' }
        @{ Close = 'fin' }
        @{ Close = 'reset' }
    ) {
        $emulator = Start-ClosingEmulator $Close
        try {
            $variables = @{ Endpoint = (Get-NtTlspcEndpoint $emulator -Https); Jwt = (New-NtJwt); IdleMilliseconds = $idleMilliseconds }
            $steps = @(Invoke-NtProcess -Environment @{ SSL_CERT_FILE = $emulator.CertPath } -Variables $variables -Step @(
                    "$fetch | Out-Null; Start-Sleep -Milliseconds `$IdleMilliseconds"
                    "$fetch -Verbose"
                ))

            $steps[0].Succeeded | Should -BeTrue
            $steps[1].Succeeded | Should -BeTrue
            Get-NtRequestCount $emulator | Should -Be 2 -Because 'one request per call'
            (Get-NtEmulatorLogText $emulator) -join "`n" | Should -Match 'closing a connection idle for'
            Assert-CallAfterIdle $steps[1].Verbose
        }
        finally { Stop-NtEmulator $emulator }
    }
}
