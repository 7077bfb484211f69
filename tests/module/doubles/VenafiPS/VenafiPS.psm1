# Test double of VenafiPS 6.11 (see ../README.md). Behaviour follows VenafiPS's documented and
# observed behaviour; the code is written here.

$script:VenafiSession = $null

# Public, as in VenafiPS: a bare call refreshes $script:VenafiSession.Token; -Endpoint -Jwt and
# -VenafiSession return the token.
function New-VcToken {
    [CmdletBinding(DefaultParameterSetName = 'ScriptSession')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(ParameterSetName = 'Endpoint', Mandatory)]
        [string] $Endpoint,

        [Parameter(ParameterSetName = 'Endpoint', Mandatory)]
        [Parameter(ParameterSetName = 'Session')]
        [string] $Jwt,

        [Parameter(ParameterSetName = 'Session', Mandatory)]
        [pscustomobject] $VenafiSession
    )
    $uri = $Endpoint
    $assertion = $Jwt
    if ($PSCmdlet.ParameterSetName -ne 'Endpoint') {
        $session = if ($PSCmdlet.ParameterSetName -eq 'ScriptSession') { $script:VenafiSession } else { $VenafiSession }
        $uri = $session.Token.Endpoint
        if (-not $assertion -and $session.Token.JWT) { $assertion = $session.Token.JWT.GetNetworkCredential().Password }
        if (-not $assertion) { throw [System.ArgumentException]::new('-Jwt must be provided directly or via a VenafiSession.') }
    }
    $form = @{
        grant_type            = 'client_credentials'
        client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
        client_assertion      = $assertion
    }
    $response = Invoke-RestMethod -Uri $uri -Method Post -ContentType 'application/x-www-form-urlencoded' -Body $form
    $token = [pscustomobject]@{
        Endpoint    = $uri
        AccessToken = [pscredential]::new('AccessToken', (ConvertTo-SecureString $response.access_token -AsPlainText -Force))
        JWT         = [pscredential]::new('JWT', (ConvertTo-SecureString $assertion -AsPlainText -Force))
        Expires     = (Get-Date).AddSeconds($response.expires_in)
    }
    if ($PSCmdlet.ParameterSetName -eq 'ScriptSession') {
        $script:VenafiSession.Token = $token
    }
    else {
        $token
    }
}

# The VcToken parameter set of New-VenafiSession: New-VcToken is called from inside the module,
# where the module's own function is found before any cmdlet.
function New-VenafiSession {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, ParameterSetName = 'VcToken')]
        [string] $VcEndpoint,

        [Parameter(Mandatory, ParameterSetName = 'VcToken')]
        [string] $Jwt,

        [int] $TimeoutSec = 0,

        [switch] $PassThru
    )
    $newSession = [pscustomobject]@{
        Platform             = 'VDC'
        Server               = ''
        TimeoutSec           = $TimeoutSec
        SkipCertificateCheck = $false
    }
    $newSession.Platform = 'VC'
    $newSession.Server = ([uri]$VcEndpoint).GetLeftPart([System.UriPartial]::Authority)
    $token = New-VcToken -Endpoint $VcEndpoint -Jwt $Jwt
    $newSession | Add-Member @{ Token = $token }
    $user = Invoke-VenafiRestMethod -UriLeaf 'useraccounts' -VenafiSession $newSession -ErrorAction SilentlyContinue
    if ($user) {
        $newSession | Add-Member @{ User = $user.user | Select-Object @{ n = 'userId'; e = { $_.id } }, * -ExcludeProperty id }
    }
    if ($PassThru) { $newSession } else { $script:VenafiSession = $newSession }
}

# As VenafiPS's private Get-VenafiSession: a -VenafiSession bound up the call stack, else the
# script session, else an error; an expired token is refused.
function Get-VenafiSession {
    $nested = (Get-PSCallStack).InvocationInfo.BoundParameters.VenafiSession | Select-Object -First 1
    $session = if ($nested) { $nested } elseif ($script:VenafiSession) { $script:VenafiSession } else {
        throw [System.ArgumentException]::new('Please run New-VenafiSession or provide a TLSPC key or TLSPDC token to -VenafiSession.')
    }
    if ($session.Token.Expires -and $session.Token.Expires -lt (Get-Date).ToUniversalTime()) {
        throw 'TLSPDC token has expired.  Execute New-VenafiSession and rerun your command.'
    }
    $session
}

function Invoke-VenafiRestMethod {
    [CmdletBinding()]
    param(
        [psobject] $VenafiSession,
        [string] $UriLeaf,
        [ValidateSet('Get', 'Post')]
        [string] $Method = 'Get'
    )
    $session = Get-VenafiSession
    $headers = @{ Authorization = 'Bearer ' + $session.Token.AccessToken.GetNetworkCredential().Password }
    # -TimeoutSec from the session, as VenafiPS's: a session without TimeoutSec fails here.
    Invoke-RestMethod -Uri ('{0}/v1/{1}' -f $session.Server, $UriLeaf) -Method $Method -Headers $headers -TimeoutSec $session.TimeoutSec
}

function Get-VcUser {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)]
        [switch] $Me,

        [psobject] $VenafiSession
    )
    (Invoke-VenafiRestMethod -UriLeaf 'useraccounts').user
}

Export-ModuleMember -Function 'New-VcToken', 'New-VenafiSession', 'Invoke-VenafiRestMethod', 'Get-VcUser' -Variable 'VenafiSession'
