# Switching an unchanged VenafiPS or ArmorPowerShell script to the native backend by importing
# NativeToken (README, "Switching from VenafiPS or ArmorPowerShell"), with the doubles in
# doubles/ standing in for the originals (doubles/README.md says what they reproduce).
#
# Each case runs in a fresh pwsh (imports and global aliases must not leak between cases) against
# its own emulator, whose statistics say which User-Agent sent each request: NativeToken/<version>
# for the native library, PowerShell's for the doubles' own Invoke-RestMethod / Invoke-WebRequest.
# The emulator's API routes (/v1/useraccounts, /me, /accounts) answer only the tokens it issued
# and has not replaced, so a script's API call that succeeds carried a live token.

BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force

    $doubles = Join-Path $PSScriptRoot 'doubles'
    $nativeAgent = 'NativeToken/' + (Get-NtModuleVersion)

    # Per route, the User-Agents of the requests the emulator received: @{ agent = count }.
    # (An HttpClient without proxy, as Get-NtEmulatorStats uses: Windows PowerShell 5.1's
    # Invoke-RestMethod has no -NoProxy.)
    if ($PSVersionTable.PSEdition -eq 'Desktop') { Add-Type -AssemblyName System.Net.Http }
    $handler = [System.Net.Http.HttpClientHandler]::new()
    $handler.UseProxy = $false
    $statsClient = [System.Net.Http.HttpClient]::new($handler)
    function Get-Agents($Emulator, [string] $Route) {
        $stats = $statsClient.GetStringAsync("$($Emulator.HttpUrl)/_emulator/stats").GetAwaiter().GetResult() | ConvertFrom-Json
        $counts = @{}
        $perRoute = $stats.agents.PSObject.Properties[$Route]
        if ($null -ne $perRoute) {
            foreach ($agent in $perRoute.Value.PSObject.Properties) { $counts[$agent.Name] = [long]$agent.Value }
        }
        $counts
    }

    # Requests on the route from anything but the native library.
    function Get-OtherAgentCount($Emulator, [string] $Route) {
        $counts = Get-Agents $Emulator $Route
        [long](($counts.Keys | Where-Object { $_ -ne $nativeAgent } | ForEach-Object { $counts[$_] } | Measure-Object -Sum).Sum)
    }

    # The imports of a case, in its order, as script text. The doubles are installed (their folder
    # is in $env:PSModulePath) and imported by name, as users do with the originals: installed,
    # an original is taken over also when NativeToken is imported first.
    function Get-Imports([string] $Order, [string] $Original, [string] $NativeArguments = '', [string] $Name) {
        $install = "`$env:PSModulePath = `$Doubles + [System.IO.Path]::PathSeparator + `$env:PSModulePath"
        $native = "Import-Module -Name `$NtPath -ErrorAction Stop $NativeArguments"
        $other = "Import-Module -Name $Name -ErrorAction Stop $Original"
        if ($Order -eq 'NativeToken first') { "$install; $native; $other" } else { "$install; $other; $native" }
    }

    function Invoke-Case([string] $Script, [hashtable] $Variables, [hashtable] $Environment = @{}) {
        $Variables['NtPath'] = Get-NtTestModulePath
        $Variables['Doubles'] = $doubles
        $steps = @(Invoke-NtProcess -NoModule -Step $Script -Variables $Variables -Environment $Environment)
        $steps[0].Error | Should -BeNullOrEmpty
        $steps[0].Succeeded | Should -BeTrue
        $steps[0].Output[-1]
    }

    # A VenafiPS script: New-VenafiSession -VcEndpoint -Jwt, Get-VcUser -Me, a bare New-VcToken,
    # New-VcToken -VenafiSession, then Remove-Module NativeToken and the same again.
    $venafiScript = @'
        $ErrorActionPreference = 'Stop'
        $facts = [ordered]@{}
        New-VenafiSession -VcEndpoint $Endpoint -Jwt $Jwt
        $global = Get-Variable -Name VenafiSession -Scope Global
        $facts.GlobalOwner = $global.ModuleName
        $facts.GlobalIsVenafiPS = [object]::ReferenceEquals($VenafiSession, (& (Get-Module VenafiPS) { $script:VenafiSession }))
        $facts.NativeTokenStoredNothing = $null -eq (& (Get-Module NativeToken) { $script:VenafiSession })
        $facts.SessionUser = $VenafiSession.User.username
        $first = $VenafiSession.Token.AccessToken.GetNetworkCredential().Password
        $facts.MeBefore = (Get-VcUser -Me).username

        New-VcToken
        $second = $VenafiSession.Token.AccessToken.GetNetworkCredential().Password
        $facts.BareRefreshChangedToken = $second -ne $first -and $second.Length -gt 0
        $facts.MeAfterRefresh = (Get-VcUser -Me).username
        $facts.ExpiresKind = [string]$VenafiSession.Token.Expires.Kind

        $other = New-VcToken -VenafiSession $VenafiSession
        $facts.GivenSessionTokenIsNew = $other.AccessToken.GetNetworkCredential().Password -notin @($first, $second)
        $facts.GivenSessionLeftSession = $VenafiSession.Token.AccessToken.GetNetworkCredential().Password -eq $second
        $facts.MeWithGivenSession = (Get-VcUser -Me -VenafiSession $VenafiSession).username
        $facts.AliasBefore = (Get-Command New-VcToken).Definition

        Remove-Module NativeToken
        $facts.CommandAfterRemove = '{0} {1}' -f (Get-Command New-VcToken).CommandType, (Get-Command New-VcToken).Source
        $facts.GlobalOwnerAfterRemove = (Get-Variable -Name VenafiSession -Scope Global).ModuleName
        New-VcToken
        $facts.MeAfterRemove = (Get-VcUser -Me).username
        New-VenafiSession -VcEndpoint $Endpoint -Jwt $Jwt
        [pscustomobject]$facts
'@

    # An Armor script: Connect-Armor, a renewal (Get-ArmorAccount once two thirds of the session
    # have passed), then Remove-Module NativeToken and Connect-Armor again.
    $armorScript = @'
        $ErrorActionPreference = 'Stop'
        $facts = [ordered]@{}
        $credential = [pscredential]::new('Jane.Doe@Example.com', (ConvertTo-SecureString 'pass' -AsPlainText -Force))
        $null = Connect-Armor -Credential $credential -Server $TlsHost -Port $Port
        $facts.User = $Global:ArmorSession.User.UserName
        $facts.AccountContext = $Global:ArmorSession.GetAccountContextID()
        $token = & (Get-Module Armor) { $script:LastToken }
        $facts.TokenProperties = $token.PSObject.Properties.Name -join ','
        $facts.ExpiresInType = $token.expires_in.GetType().FullName
        $facts.JsonIntegerType = ('{"n":15}' | ConvertFrom-Json).n.GetType().FullName
        $before = $Global:ArmorSession.GetToken()

        $Global:ArmorSession.SessionExpirationTime = (Get-Date).AddMinutes(3)
        $facts.Accounts = (Get-ArmorAccount).ID -join ','
        $after = $Global:ArmorSession.GetToken()
        $facts.Renewed = $after -ne $before
        $facts.SessionLength = $Global:ArmorSession.SessionLengthInMinutes
        $facts.RenewedExpiry = $Global:ArmorSession.SessionExpirationTime -gt (Get-Date).AddMinutes(10)

        Remove-Module NativeToken
        $facts.AliasesLeft = @(Get-Alias -Name New-ArmorApiToken, Request-ArmorApiToken, Update-ArmorApiToken -ErrorAction Ignore).Count
        $null = Connect-Armor -Credential $credential -Server $TlsHost -Port $Port
        $original = & (Get-Module Armor) { $script:LastToken }
        $facts.OriginalTokenProperties = $original.PSObject.Properties.Name -join ','
        $facts.OriginalTypes = ($original.PSObject.Properties | ForEach-Object { $_.Value.GetType().FullName }) -join ','
        $facts.NativeTypes = ($token.PSObject.Properties | ForEach-Object { $_.Value.GetType().FullName }) -join ','
        $Global:ArmorSession.SessionExpirationTime = (Get-Date).AddMinutes(3)
        $facts.AccountsAfterRemove = (Get-ArmorAccount).ID -join ','
        [pscustomobject]$facts
'@
}

Describe 'A VenafiPS script with NativeToken imported (<Order>)' -ForEach @(
    @{ Order = 'NativeToken first' }
    @{ Order = 'VenafiPS first' }
) {
    BeforeAll {
        $emulator = Start-NtEmulator -ArgumentList '--no-https'
        $variables = @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt -Subject 'svc-switching') }
        $facts = Invoke-Case -Script ((Get-Imports $Order '' -Name VenafiPS) + "`n" + $venafiScript) -Variables $variables
        $tokenRoute = '/v1/oauth2/v2.0/{tenant}/token'
    }

    AfterAll {
        Stop-NtEmulator $emulator
    }

    It 'fetches every token natively until Remove-Module NativeToken, then through the original' {
        # New-VenafiSession, the bare New-VcToken, New-VcToken -VenafiSession; after the removal
        # the original's bare refresh and New-VenafiSession.
        $agents = Get-Agents $emulator $tokenRoute
        $agents[$nativeAgent] | Should -Be 3
        Get-OtherAgentCount $emulator $tokenRoute | Should -Be 2
        $facts.AliasBefore | Should -BeExactly 'NativeToken\New-VcToken'
    }

    It 'keeps VenafiPS''s own $VenafiSession as the global one; NativeToken stores nothing of its own' {
        $facts.GlobalOwner | Should -BeExactly 'VenafiPS'
        $facts.GlobalIsVenafiPS | Should -BeTrue
        $facts.NativeTokenStoredNothing | Should -BeTrue
        $facts.GlobalOwnerAfterRemove | Should -BeExactly 'VenafiPS'
    }

    It 'gives every API call the current token (the emulator refuses any other)' {
        $facts.SessionUser | Should -BeExactly 'svc-switching'
        $facts.MeBefore | Should -BeExactly 'svc-switching'
        $facts.MeAfterRefresh | Should -BeExactly 'svc-switching'
        $facts.MeWithGivenSession | Should -BeExactly 'svc-switching'
        $facts.MeAfterRemove | Should -BeExactly 'svc-switching'
        (Get-Agents $emulator '/v1/useraccounts').Values | Measure-Object -Sum | ForEach-Object Sum | Should -Be 6
    }

    It 'refreshes VenafiPS''s session with a bare New-VcToken; -VenafiSession only returns a token' {
        $facts.BareRefreshChangedToken | Should -BeTrue
        $facts.ExpiresKind | Should -BeExactly 'Utc'
        $facts.GivenSessionTokenIsNew | Should -BeTrue
        $facts.GivenSessionLeftSession | Should -BeTrue
    }

    It 'gives the original New-VcToken back on Remove-Module NativeToken' {
        $facts.CommandAfterRemove | Should -BeExactly 'Function VenafiPS'
    }
}

Describe 'A VenafiPS script with the takeover turned off (<How>, <Order>)' -ForEach @(
    @{ How = '-ArgumentList @{ Takeover = $false }'; Arguments = '-ArgumentList @{ Takeover = $false }'; Environment = @{}; Order = 'NativeToken first' }
    @{ How = '-ArgumentList @{ Takeover = $false }'; Arguments = '-ArgumentList @{ Takeover = $false }'; Environment = @{}; Order = 'VenafiPS first' }
    @{ How = 'NATIVETOKEN_TAKEOVER=0'; Arguments = ''; Environment = @{ NATIVETOKEN_TAKEOVER = '0' }; Order = 'VenafiPS first' }
) {
    BeforeAll {
        $emulator = Start-NtEmulator -ArgumentList '--no-https'
        $variables = @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt -Subject 'svc-side-by-side') }
        $script = (Get-Imports $Order '' $Arguments -Name VenafiPS) + "`n" + @'
            $ErrorActionPreference = 'Stop'
            New-VenafiSession -VcEndpoint $Endpoint -Jwt $Jwt
            $first = $VenafiSession.Token.AccessToken.GetNetworkCredential().Password
            New-VcToken
            $native = NativeToken\New-VcToken -Endpoint $Endpoint -Jwt $Jwt
            [pscustomobject]@{
                Aliases     = @(Get-Alias -Name New-VcToken, New-ArmorApiToken, Request-ArmorApiToken, Update-ArmorApiToken -ErrorAction Ignore).Count
                Command     = '{0} {1}' -f (Get-Command New-VcToken).CommandType, (Get-Command New-VcToken).Source
                GlobalOwner = (Get-Variable -Name VenafiSession -Scope Global).ModuleName
                Refreshed   = $VenafiSession.Token.AccessToken.GetNetworkCredential().Password -ne $first
                Me          = (Get-VcUser -Me).username
                NativeOwn   = (& (Get-Module NativeToken) { $script:VenafiSession }).Token.Endpoint -eq $Endpoint
                NativeToken = $native.AccessToken.GetNetworkCredential().Password -ne $VenafiSession.Token.AccessToken.GetNetworkCredential().Password
            }
'@
        $facts = Invoke-Case -Script $script -Variables $variables -Environment $Environment
        $tokenRoute = '/v1/oauth2/v2.0/{tenant}/token'
    }

    AfterAll {
        Stop-NtEmulator $emulator
    }

    It 'leaves VenafiPS''s commands and session to VenafiPS' {
        $facts.Aliases | Should -Be 0
        $facts.Command | Should -BeExactly 'Function VenafiPS'
        $facts.GlobalOwner | Should -BeExactly 'VenafiPS'
        $facts.Refreshed | Should -BeTrue
        $facts.Me | Should -BeExactly 'svc-side-by-side'
        Get-OtherAgentCount $emulator $tokenRoute | Should -Be 2
    }

    It 'keeps NativeToken''s own commands and session beside them' {
        (Get-Agents $emulator $tokenRoute)[$nativeAgent] | Should -Be 1
        $facts.NativeOwn | Should -BeTrue
        $facts.NativeToken | Should -BeTrue
    }
}

Describe 'An Armor script with NativeToken imported (<Function>, <Order>)' -ForEach @(
    @{ Function = 'Request-ArmorApiToken'; Order = 'NativeToken first' }
    @{ Function = 'Request-ArmorApiToken'; Order = 'Armor first' }
    @{ Function = 'New-ArmorApiToken'; Order = 'NativeToken first' }
    @{ Function = 'New-ArmorApiToken'; Order = 'Armor first' }
) {
    # Armor's URL is https://<Server>:<Port>, and the double's own requests (the log-in, /me,
    # /accounts) go through .NET: the child pwsh trusts the emulator's certificate as a user of
    # the platform does, through SSL_CERT_FILE on Linux (.NET and the library both read it through
    # OpenSSL), through the Root certificate store on Windows (schannel).
    BeforeAll {
        $emulator = Start-NtEmulator
        $ca = Add-NtWindowsTrust $emulator.CertPath
        $variables = @{ Port = $emulator.HttpsPort; TlsHost = (Get-NtTlsHostName) }
        $script = (Get-Imports $Order "-ArgumentList '$Function'" -Name Armor) + "`n" + $armorScript
        $facts = Invoke-Case -Script $script -Variables $variables -Environment @{ SSL_CERT_FILE = $emulator.CertPath }
    }

    AfterAll {
        Remove-NtWindowsTrust $ca
        Stop-NtEmulator $emulator
    }

    It 'redeems the log-in code and renews the session natively until Remove-Module NativeToken' {
        (Get-Agents $emulator '/auth/token')[$nativeAgent] | Should -Be 1
        Get-OtherAgentCount $emulator '/auth/token' | Should -Be 1
        (Get-Agents $emulator '/auth/token/reissue')[$nativeAgent] | Should -Be 1
        Get-OtherAgentCount $emulator '/auth/token/reissue' | Should -Be 1
        $facts.AliasesLeft | Should -Be 0
    }

    It 'gives Connect-Armor the token object the original gives it: properties, order and types' {
        $facts.TokenProperties | Should -BeExactly 'access_token,id_token,expires_in,token_type'
        $facts.TokenProperties | Should -BeExactly $facts.OriginalTokenProperties
        $facts.NativeTypes | Should -BeExactly $facts.OriginalTypes
        $facts.ExpiresInType | Should -BeExactly $facts.JsonIntegerType
    }

    It 'authorises $Global:ArmorSession, whose API calls carry the current token' {
        $facts.User | Should -BeExactly 'jane.doe@example.com'
        $facts.AccountContext | Should -Be 1
        $facts.Renewed | Should -BeTrue
        $facts.SessionLength | Should -Be 15
        $facts.RenewedExpiry | Should -BeTrue
        # /accounts after the renewal: the emulator refuses the replaced token.
        $facts.Accounts | Should -BeExactly '1'
        $facts.AccountsAfterRemove | Should -BeExactly '1'
        (Get-Agents $emulator '/me').Values | Measure-Object -Sum | ForEach-Object Sum | Should -Be 2
    }
}

Describe 'Update-ArmorApiToken on its own' {
    BeforeAll {
        $emulator = Start-NtEmulator
    }

    AfterAll {
        Stop-NtEmulator $emulator
    }

    It 'refuses to run without $Global:ArmorSession, naming what is missing' {
        $steps = @(Invoke-NtProcess -Step 'Update-ArmorApiToken')
        $steps[0].Succeeded | Should -BeFalse
        $steps[0].Error.FullyQualifiedErrorId | Should -BeExactly 'NativeToken.MissingArmorSession,NativeToken.Commands.UpdateArmorApiTokenCommand'
        $steps[0].Error.Message | Should -Match 'Connect-Armor'
    }

    It 'posts nothing with -WhatIf, and its message names the URL, never the token' {
        $token = '0123456789abcdef0123456789abcdef'
        $steps = @(Invoke-NtProcess -Step @'
            $Global:ArmorSession = [pscustomobject]@{ Server = '127.0.0.1'; Port = $Port; ApiVersion = 'v1.0' }
            Update-ArmorApiToken -Token $Token -WhatIf -Verbose
'@ -Variables @{ Port = $emulator.HttpsPort; Token = $token })
        $steps[0].Succeeded | Should -BeTrue
        (Get-Agents $emulator '/auth/token/reissue').Count | Should -Be 0
        Find-NtSecret $steps[0].VisibleText $token | Should -BeNullOrEmpty
    }

    It 'reports a refused renewal as the service''s error, without the token' {
        $token = '0123456789abcdef0123456789abcdef'
        $steps = @(Invoke-NtProcess -Environment @{ SSL_CERT_FILE = $emulator.CertPath } -Step @'
            $Global:ArmorSession = [pscustomobject]@{ Server = $TlsHost; Port = $Port; ApiVersion = 'v1.0' }
            Update-ArmorApiToken -Token $Token
'@ -Variables @{ Port = $emulator.HttpsPort; Token = $token; TlsHost = (Get-NtTlsHostName) })
        $steps[0].Succeeded | Should -BeFalse
        $steps[0].Error.StatusCode | Should -Be 403
        Find-NtSecret $steps[0].VisibleText $token | Should -BeNullOrEmpty
        (Get-Agents $emulator '/auth/token/reissue')[$nativeAgent] | Should -Be 1
    }
}

Describe 'NativeToken without VenafiPS' {
    BeforeAll {
        $emulator = Start-NtEmulator -ArgumentList '--no-https'
    }

    AfterAll {
        Stop-NtEmulator $emulator
    }

    It 'stores a session with every property of a VenafiPS 6.11 TLSPC session, which VenafiPS commands accept' {
        # VenafiPS imported after the session was made: its commands take it as -VenafiSession.
        $steps = @(Invoke-NtProcess -Step @'
            $null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
            $session = $VenafiSession
            [pscustomobject]@{
                Names = $session.PSObject.Properties.Name -join ','
                Types = ($session.PSObject.Properties | ForEach-Object { if ($null -eq $_.Value) { 'null' } else { $_.Value.GetType().Name } }) -join ','
                Platform = $session.Platform
                Server = $session.Server
            }
            Import-Module -Name $VenafiPath -ErrorAction Stop
            (Get-VcUser -Me -VenafiSession $session -ErrorAction Stop).username
'@ -Variables @{ Endpoint = (Get-NtTlspcEndpoint $emulator); Jwt = (New-NtJwt -Subject 'svc-alone'); VenafiPath = (Join-Path $doubles 'VenafiPS/VenafiPS.psd1') })
        $steps[0].Error | Should -BeNullOrEmpty
        $steps[0].Output.Count | Should -Be 2
        $steps[0].Output[0].Names | Should -BeExactly 'Platform,Server,TimeoutSec,SkipCertificateCheck,Token,User'
        $steps[0].Output[0].Types | Should -BeExactly 'String,String,Int32,Boolean,PSCustomObject,null'
        $steps[0].Output[0].Platform | Should -BeExactly 'VC'
        $steps[0].Output[0].Server | Should -BeExactly ([uri]$emulator.HttpUrl).GetLeftPart([System.UriPartial]::Authority)
        $steps[0].Output[1] | Should -BeExactly 'svc-alone'
    }
}

Describe 'NativeToken with neither original loaded nor installed' {
    It 'sets no alias, so that Get-Help shows each cmdlet''s own help; Takeover = $true sets them anyway' {
        $steps = @(Invoke-NtProcess -NoModule -Step @'
            Import-Module -Name $NtPath -ErrorAction Stop
            [pscustomobject]@{
                Aliases  = @(Get-Alias -Name New-VcToken, New-ArmorApiToken, Request-ArmorApiToken, Update-ArmorApiToken -ErrorAction Ignore).Count
                Help     = @(Get-Help New-VcToken).Count
                Category = [string](Get-Help New-VcToken).Category
            }
            Remove-Module NativeToken
            Import-Module -Name $NtPath -ArgumentList @{ Takeover = $true } -ErrorAction Stop
            @(Get-Alias -Name New-VcToken, New-ArmorApiToken, Request-ArmorApiToken, Update-ArmorApiToken -ErrorAction Ignore | ForEach-Object Definition) -join ','
'@ -Variables @{ NtPath = (Get-NtTestModulePath) })
        $steps[0].Error | Should -BeNullOrEmpty
        $steps[0].Output[0].Aliases | Should -Be 0
        $steps[0].Output[0].Help | Should -Be 1
        $steps[0].Output[0].Category | Should -BeExactly 'Cmdlet'
        $steps[0].Output[1] | Should -BeExactly 'NativeToken\New-VcToken,NativeToken\New-ArmorApiToken,NativeToken\New-ArmorApiToken,NativeToken\Update-ArmorApiToken'
    }

    It 'refuses an unknown import option, naming the one there is' {
        $steps = @(Invoke-NtProcess -NoModule -Step 'Import-Module -Name $NtPath -ArgumentList @{ Takeovr = $false } -ErrorAction Stop' -Variables @{ NtPath = (Get-NtTestModulePath) })
        $steps[0].Succeeded | Should -BeFalse
        $steps[0].Error.Message | Should -Match "unknown import option 'Takeovr'.*Takeover"
    }
}
