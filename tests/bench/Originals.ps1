# The originals' way, for tests/bench: what users switch from, written here from a description of
# what the public modules do (no code copied). Dot-sourced by the benchmark driver and by the
# fresh-process runs.
#
# Invoke-OriginalVcToken: what VenafiPS 6.11 `New-VcToken -Endpoint -Jwt` does: the request is a
#   hashtable splatted into `Invoke-RestMethod -Method Post`, its body a hashtable that the cmdlet
#   form-encodes; the access token and the JWT become PSCredentials through
#   `ConvertTo-SecureString -AsPlainText -Force` and `New-Object PSCredential`; the result is a
#   `[pscustomobject]` with `Expires = (Get-Date).AddSeconds(expires_in)` in UTC. No -WebSession:
#   every call makes a new HttpClient, so a new connection (and over HTTPS a new TLS handshake).
# Invoke-OriginalArmorApiToken: what ArmorPowerShell's `New-ArmorApiToken` does: the URL from
#   `$Global:ArmorSession.Server` / `.Port`, a JSON body from `ConvertTo-Json`,
#   `Invoke-WebRequest -Method Post`, a status check, and `ConvertFrom-Json` of `.Content`.

# Without -Endpoint, VenafiPS takes the endpoint (and the JWT unless given) from -VenafiSession or
# the script session. Returns the endpoint and the JWT. (The lean baseline resolves them the same
# way; the benchmark itself always passes -Endpoint.)
function Resolve-VcSessionRequest([psobject] $VenafiSession, [string] $Jwt) {
    $session = if ($VenafiSession) { $VenafiSession } else { $script:VenafiSession }
    if (-not $session.Token.Endpoint -or -not ($Jwt -or $session.Token.JWT)) {
        throw [System.ArgumentException]::new('-Jwt must be provided directly or via a VenafiSession.')
    }
    if (-not $Jwt) { $Jwt = $session.Token.JWT.GetNetworkCredential().Password }
    $session.Token.Endpoint, $Jwt
}

function Invoke-OriginalVcToken {
    [CmdletBinding(DefaultParameterSetName = 'ScriptSession')]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Endpoint')]
        [ValidateNotNullOrEmpty()]
        [string] $Endpoint,

        [Parameter(Mandatory, ParameterSetName = 'Endpoint')]
        [Parameter(ParameterSetName = 'Session')]
        [ValidateNotNullOrEmpty()]
        [string] $Jwt,

        [Parameter(Mandatory, ParameterSetName = 'Session')]
        [ValidateNotNull()]
        [psobject] $VenafiSession
    )

    if ($PSCmdlet.ParameterSetName -ne 'Endpoint') { $Endpoint, $Jwt = Resolve-VcSessionRequest $VenafiSession $Jwt }

    $request = @{
        Method = 'Post'
        Uri    = $Endpoint
        Body   = @{
            grant_type            = 'client_credentials'
            client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
            client_assertion      = $Jwt
        }
    }
    $response = Invoke-RestMethod @request

    if ($response.token_type -ne 'Bearer') {
        throw "Unexpected token type '$($response.token_type)'"
    }

    [pscustomobject]@{
        Endpoint    = $Endpoint
        AccessToken = New-Object System.Management.Automation.PSCredential('AccessToken', (ConvertTo-SecureString $response.access_token -AsPlainText -Force))
        JWT         = New-Object System.Management.Automation.PSCredential('JWT', (ConvertTo-SecureString $Jwt -AsPlainText -Force))
        Expires     = (Get-Date).AddSeconds($response.expires_in).ToUniversalTime()
    }
}

function Invoke-OriginalArmorApiToken {
    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param(
        [Parameter(Mandatory, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Code,

        [Parameter(Position = 1)]
        [ValidateSet('authorization_code')]
        [string] $GrantType = 'authorization_code',

        [Parameter(Position = 2)]
        [ValidateSet('v1.0')]
        [string] $ApiVersion = $Global:ArmorSession.ApiVersion
    )

    $server = if ($Global:ArmorSession.Server) { $Global:ArmorSession.Server } else { 'api.armor.com' }
    $port = if ($Global:ArmorSession.Port) { $Global:ArmorSession.Port } else { 443 }
    $uri = 'https://{0}:{1}/auth/token' -f $server, $port

    $body = @{
        code       = $Code
        grant_type = $GrantType.ToLowerInvariant()
    } | ConvertTo-Json

    $request = Invoke-WebRequest -Uri $uri -Method Post -Body $body -ContentType 'application/json' -Headers @{ Accept = 'application/json' }
    if ($request.StatusCode -ne 200) {
        throw "HTTP $($request.StatusCode) from $uri"
    }
    $request.Content | ConvertFrom-Json
}
