# A runspace with good sessions, for calls that must fail and change nothing.

<#
.SYNOPSIS
A fresh runspace in which good sessions were begun with marker secrets: a TLSPC session
(New-VcToken -Endpoint -Jwt, a JWT with subject svc-marker, on a tenant of its own) and an Armor
call with $Global:ArmorSession pointing at the emulator. Keeps a snapshot of $VenafiSession.
.DESCRIPTION
Secrets holds the marker JWT and code and the tokens the emulator issued for them. Dispose the
Runspace when done.
#>
function New-NtBaseline {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] $Emulator)
    $tenant = [guid]::NewGuid().ToString()
    $baseline = [pscustomobject]@{
        PSTypeName = 'NativeToken.Test.Baseline'
        Emulator   = $Emulator
        Tenant     = $tenant
        Endpoint   = Get-NtTlspcEndpoint $Emulator -Tenant $tenant
        Jwt        = New-NtJwt -Subject 'svc-marker'
        Code       = New-NtArmorCode
        Runspace   = New-NtRunspace
        Snapshot   = $null
        Secrets    = @()
    }
    $begun = Invoke-NtScript $baseline.Runspace @'
        $NtBaselineToken = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
        $Global:ArmorSession = [pscustomobject]@{ Server = $ArmorServer; ApiVersion = 'v1.0' }
        $NtBaselineArmor = New-ArmorApiToken -Code $Code
        $NtBaselineSession = $VenafiSession
        $NtBaselineArmorSession = $Global:ArmorSession
        $NtBaselineToken.AccessToken.GetNetworkCredential().Password
        $NtBaselineArmor.access_token
        $NtBaselineArmor.id_token
'@ @{ Endpoint = $baseline.Endpoint; Jwt = $baseline.Jwt; Code = $baseline.Code; ArmorServer = $Emulator.HttpUrl }
    if (-not $begun.Succeeded -or $begun.Output.Count -ne 3) {
        $baseline.Runspace.Dispose()
        throw "Beginning the baseline sessions failed: $(@($begun.AllErrors | ForEach-Object { $_.FullyQualifiedErrorId + ': ' + $_.Exception.Message }) -join ' | ')"
    }
    $baseline.Secrets = @($baseline.Jwt, $baseline.Code) + @($begun.Output | ForEach-Object { [string]$_ })
    $baseline.Snapshot = Get-NtBaselineState $baseline
    $baseline
}

# What the baseline runspace holds now: $VenafiSession's values and whether $VenafiSession, its
# Token and $Global:ArmorSession are still the very objects the baseline made.
function Get-NtBaselineState {
    param([Parameter(Mandatory, Position = 0)] $Baseline)
    $state = Invoke-NtScript $Baseline.Runspace @'
        $t = $VenafiSession.Token
        [pscustomobject]@{
            Platform    = $VenafiSession.Platform
            Server      = $VenafiSession.Server
            Endpoint    = $t.Endpoint
            Jwt         = $t.JWT.GetNetworkCredential().Password
            AccessToken = $t.AccessToken.GetNetworkCredential().Password
            Expires     = $t.Expires
            SameObjects = [object]::ReferenceEquals($VenafiSession, $NtBaselineSession) -and
                          [object]::ReferenceEquals($t, $NtBaselineToken) -and
                          [object]::ReferenceEquals($Global:ArmorSession, $NtBaselineArmorSession)
        }
'@
    if (-not $state.Succeeded) { throw "Reading the baseline session failed: $($state.Error.Exception.Message)" }
    $state.Output[0]
}

<#
.SYNOPSIS
How the baseline's session differs from its snapshot (nothing when it is as it was).
#>
function Compare-NtBaseline {
    [OutputType([string[]])]
    param([Parameter(Mandatory, Position = 0)] $Baseline)
    $now = Get-NtBaselineState $Baseline
    foreach ($name in 'Platform', 'Server', 'Endpoint', 'Jwt', 'AccessToken', 'Expires', 'SameObjects') {
        $before = $Baseline.Snapshot.$name
        $after = $now.$name
        if ($before -ne $after) {
            if ($name -in 'Jwt', 'AccessToken') { "$name changed" } else { "$name changed from '$before' to '$after'" }
        }
    }
}

<#
.SYNOPSIS
Refreshes the baseline's script session (bare New-VcToken) and returns the emulator's log entry
of that request: it shows which endpoint (tenant) and which JWT (sub) the module sent.
#>
function Invoke-NtBaselineRefresh {
    param([Parameter(Mandatory, Position = 0)] $Baseline)
    $before = @(Get-NtTokenRequest $Baseline.Emulator -Tenant $Baseline.Tenant).Count
    $refresh = Invoke-NtScript $Baseline.Runspace 'New-VcToken'
    if (-not $refresh.Succeeded) { throw "Refreshing the baseline session failed: $($refresh.Error.FullyQualifiedErrorId): $($refresh.Error.Exception.Message)" }
    $Baseline.Snapshot = Get-NtBaselineState $Baseline
    @(Get-NtTokenRequest $Baseline.Emulator -Tenant $Baseline.Tenant) | Select-Object -Skip $before
}

<#
.SYNOPSIS
Runs a call that must fail in a fresh baseline runspace (New-NtBaseline) and asserts, with
Should, what every failure must keep: the call failed and output nothing; $VenafiSession and
$Global:ArmorSession are the same objects with the same values; no secret (the baseline's
markers, and the call's own Jwt/Code variables of 16 characters or more) is in any record of
the call or in the emulator's log; and the next bare New-VcToken still sends the marker JWT to
the marker endpoint (the native side of the session is unchanged too). Returns the result,
with Requests (how many requests the emulator received during the call) and Endpoint (the
value of the call's $Endpoint).
#>
function Invoke-NtFailingCall {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] $Emulator,
        [Parameter(Mandatory, Position = 1)] [string] $Script,
        [Parameter(Position = 2)] [hashtable] $Variables = @{},
        # Another emulator that must not have logged a secret either.
        $Server
    )
    $baseline = New-NtBaseline $Emulator
    try {
        $before = Get-NtRequestCount $Emulator all
        $result = Invoke-NtScript $baseline.Runspace $Script $Variables
        # How many requests the call itself made (every route), before the checks below add theirs.
        $result | Add-Member -NotePropertyName Requests -NotePropertyValue ((Get-NtRequestCount $Emulator all) - $before)
        # The endpoint the call's $Endpoint named: its own, or the baseline's.
        $endpoint = if ($Variables.ContainsKey('Endpoint')) { $Variables['Endpoint'] } else { $baseline.Endpoint }
        $result | Add-Member -NotePropertyName Endpoint -NotePropertyValue $endpoint
        $result.Succeeded | Should -BeFalse -Because 'the call must fail'
        $result.Output | Should -BeNullOrEmpty -Because 'a failed call outputs nothing'
        Compare-NtBaseline $baseline | Should -BeNullOrEmpty -Because 'a failed call leaves $VenafiSession as it was'
        $secrets = @($baseline.Secrets) + @(foreach ($name in 'Jwt', 'Code') {
                if ($Variables.ContainsKey($name) -and $Variables[$name] -is [string] -and $Variables[$name].Length -ge 16) { $Variables[$name] }
            })
        Find-NtSecret (Get-NtVisibleText $result) $secrets | Should -BeNullOrEmpty
        Find-NtSecret (Get-NtEmulatorLogText $Emulator) $secrets | Should -BeNullOrEmpty
        if ($null -ne $Server) { Find-NtSecret (Get-NtEmulatorLogText $Server) $secrets | Should -BeNullOrEmpty }
        $refresh = @(Invoke-NtBaselineRefresh $baseline)
        $refresh.Count | Should -Be 1 -Because 'a refresh after the failure is one request to the marker endpoint'
        $refresh[0].Sub | Should -BeExactly 'svc-marker' -Because 'a refresh after the failure sends the marker JWT'
        $result
    }
    finally { $baseline.Runspace.Dispose() }
}
