# Eight runspaces at once, each with its own tenant and JWT, share the process's native
# library: every call is accounted for, no call or session of one runspace ever carries another's
# endpoint or JWT (the emulator's log shows the JWT subject of every request), and each
# runspace's script session refreshes with its own JWT. Run through ForEach-Object -Parallel and
# through a runspace pool.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    $emulator = Start-NtEmulator
    $runspaces = 8
    $callsEach = 200
    $modulePath = Get-NtTestModulePath

    # One client per runspace: its own tenant, JWT subject and JWT.
    function New-Client([string] $Name, [int] $Index) {
        $subject = "svc-$Name-$Index"
        $tenant = [guid]::NewGuid().ToString()
        [pscustomobject]@{ Subject = $subject; Tenant = $tenant; Jwt = (New-NtJwt -Subject $subject); Endpoint = (Get-NtTlspcEndpoint $emulator -Tenant $tenant) }
    }

    # What each runspace does: $Calls fetches (each begins its script session anew), then one
    # refresh of the script session; it returns what the tokens held when they were fetched (the
    # refresh updates the last one in place, as it is the session's token) and the session after
    # the refresh. With $Started (a CountdownEvent), it first waits until every client has
    # started, so that none ends (freeing its runspace for another) before all have one.
    $work = @'
        param($Id, $Endpoint, $Jwt, $Calls, $Started)
        if ($null -ne $Started) {
            $null = $Started.Signal()
            if (-not $Started.Wait([timespan]::FromSeconds(60))) { throw 'not every client started within 60 s' }
        }
        $tokens = for ($i = 0; $i -lt $Calls; $i++) { New-VcToken -Endpoint $Endpoint -Jwt $Jwt }
        $fetched = foreach ($t in $tokens) {
            [pscustomobject]@{ Endpoint = $t.Endpoint; Jwt = $t.JWT.GetNetworkCredential().Password; AccessToken = $t.AccessToken.GetNetworkCredential().Password }
        }
        $old = $VenafiSession.Token.AccessToken
        $refresh = @(New-VcToken -Verbose 4>&1)
        [pscustomobject]@{
            Id          = $Id
            Runspace    = [runspace]::DefaultRunspace.InstanceId
            Tokens      = @($fetched)
            Endpoint    = $VenafiSession.Token.Endpoint
            Jwt         = $VenafiSession.Token.JWT.GetNetworkCredential().Password
            AccessToken = $VenafiSession.Token.AccessToken.GetNetworkCredential().Password
            Replaced    = -not [object]::ReferenceEquals($old, $VenafiSession.Token.AccessToken)
            Output      = @($refresh | Where-Object { $_ -isnot [System.Management.Automation.VerboseRecord] })
            Attempts    = @($refresh | Where-Object { $_ -is [System.Management.Automation.VerboseRecord] -and $_.Message.StartsWith('native: attempt ') } | ForEach-Object Message)
        }
'@

    # The checks of one run: every token of each client its own, all access tokens distinct, the
    # emulator's log per tenant (every request carried the client's JWT, $callsEach + 1 each).
    function Assert-Run($Clients, $Results, [long] $RequestsBefore) {
        $Results.Count | Should -Be $Clients.Count
        @($Results.Runspace | Sort-Object -Unique).Count | Should -Be $Clients.Count -Because 'each client ran in a runspace of its own'
        Get-NtRequestCount $emulator | Should -Be ($RequestsBefore + $Clients.Count * ($callsEach + 1))
        $accessTokens = [System.Collections.Generic.HashSet[string]]::new()
        for ($i = 0; $i -lt $Clients.Count; $i++) {
            $client = $Clients[$i]
            $result = @($Results | Where-Object Id -EQ $client.Subject)
            $result.Count | Should -Be 1 -Because "$($client.Subject) returned one result"
            $result = $result[0]
            $result.Tokens.Count | Should -Be $callsEach
            @($result.Tokens | Where-Object { $_.Endpoint -cne $client.Endpoint }) | Should -BeNullOrEmpty -Because "every token of $($client.Subject) names its own endpoint"
            @($result.Tokens | Where-Object { $_.Jwt -cne $client.Jwt }) | Should -BeNullOrEmpty -Because "every token of $($client.Subject) holds its own JWT"
            @($result.Tokens | Where-Object { $_.AccessToken -notmatch '^[0-9a-f]{32,}$' }) | Should -BeNullOrEmpty
            $duplicates = @($result.Tokens | Where-Object { -not $accessTokens.Add($_.AccessToken) })
            $duplicates | Should -BeNullOrEmpty -Because 'no access token is handed out twice'
            # The script session after the refresh: this runspace's own, with a new token.
            $result.Output | Should -BeNullOrEmpty
            $result.Endpoint | Should -BeExactly $client.Endpoint
            $result.Jwt | Should -BeExactly $client.Jwt
            $result.Replaced | Should -BeTrue
            $accessTokens.Add($result.AccessToken) | Should -BeTrue -Because 'the refresh handed out a new token'
            $result.Attempts | Should -Not -BeNullOrEmpty
            @($result.Attempts | Where-Object { -not $_.Contains("POST $($client.Endpoint) -> ") }) | Should -BeNullOrEmpty -Because 'the refresh went to this runspace''s endpoint only'
            ($result.Attempts[-1] -replace ' in \d+ ms$', '') | Should -BeLike '*-> HTTP 200 OK'
        }
        $requests = @(Get-NtTokenRequest $emulator)
        foreach ($client in $Clients) {
            $own = @($requests | Where-Object Tenant -EQ $client.Tenant)
            $own.Count | Should -Be ($callsEach + 1) -Because "$($client.Subject) made $callsEach calls and one refresh"
            @($own | Where-Object { $_.Outcome -ne '200' -or $_.Sub -cne $client.Subject }) | Should -BeNullOrEmpty -Because "every request to $($client.Subject)'s tenant carried its JWT"
        }
    }
}

AfterAll {
    Stop-NtEmulator $emulator
}

Describe 'Eight runspaces, 200 calls each' {
    It 'keeps every token and session its runspace''s own through ForEach-Object -Parallel' -Skip:($PSVersionTable.PSEdition -eq 'Desktop') {
        $clients = @(0..($runspaces - 1) | ForEach-Object { New-Client 'parallel' $_ })
        $before = Get-NtRequestCount $emulator

        # Each iteration has a runspace of its own, which imports the module: at the same time too.
        $results = @($clients | ForEach-Object -ThrottleLimit $runspaces -UseNewRunspace -Parallel {
                Import-Module -Name $using:modulePath -ErrorAction Stop
                & ([scriptblock]::Create($using:work)) $_.Subject $_.Endpoint $_.Jwt $using:callsEach
            })

        Assert-Run $clients $results $before
    }

    It 'keeps every token and session its runspace''s own through a runspace pool' {
        $clients = @(0..($runspaces - 1) | ForEach-Object { New-Client 'pool' $_ })
        $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
        $iss.ImportPSModule($modulePath)
        # As many runspaces as clients; still, a client that ended before another was given a
        # runspace would free its runspace for that one (seen on a loaded machine: 7 runspaces
        # for 8 clients), so every client waits for all to start ($started).
        $pool = [runspacefactory]::CreateRunspacePool($runspaces, $runspaces, $iss, $Host)
        $pool.Open()
        $started = [System.Threading.CountdownEvent]::new($runspaces)
        try {
            $before = Get-NtRequestCount $emulator
            $jobs = foreach ($client in $clients) {
                $ps = [powershell]::Create()
                $ps.RunspacePool = $pool
                $null = $ps.AddScript($work).AddArgument($client.Subject).AddArgument($client.Endpoint).AddArgument($client.Jwt).AddArgument($callsEach).AddArgument($started)
                [pscustomobject]@{ PowerShell = $ps; Handle = $ps.BeginInvoke() }
            }
            $results = @(foreach ($job in $jobs) {
                    try { $job.PowerShell.EndInvoke($job.Handle) } finally { $job.PowerShell.Dispose() }
                })
        }
        finally {
            $pool.Dispose()
            $started.Dispose()
        }

        Assert-Run $clients $results $before
    }
}
