# Baselines for tests/bench: loaded (dot-sourced) into the benchmark runspaces.
#
# Invoke-PsHttpClientVcToken: New-VcToken the way the pure-PowerShell original (VenafiPS) does it,
#   rewritten with what this engine has: the original calls Invoke-RestMethod, which builds the
#   url-encoded form from a hashtable, makes a new HttpClient for the call (no -WebSession), posts,
#   parses the JSON (ConvertFrom-Json), and the function checks token_type and builds the object.
#   Invoke-RestMethod and ConvertFrom-Json are missing from the bare engine, so this does the same
#   with System.Net.Http and System.Text.Json directly: one NEW HttpClient per call, disposed.
# Invoke-EmptyVcToken: the same parameters and the same output object (PSCredentials, UTC
#   DateTime), calling nothing: the cost of a PowerShell advanced function that does no work.

[void][System.Reflection.Assembly]::Load('System.Net.Http')
[void][System.Reflection.Assembly]::Load('System.Text.Json')

function Invoke-PsHttpClientVcToken {
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
        [ValidateNotNullOrEmpty()]
        [psobject] $VenafiSession
    )

    if ($PSCmdlet.ParameterSetName -ne 'Endpoint') {
        $session = if ($VenafiSession) { $VenafiSession } else { $script:VenafiSession }
        if (-not $session.Token.Endpoint -or -not ($Jwt -or $session.Token.JWT)) {
            throw [System.ArgumentException]::new('-Jwt must be provided directly or via a VenafiSession.')
        }
        $Endpoint = $session.Token.Endpoint
        if (-not $Jwt) { $Jwt = $session.Token.JWT.GetNetworkCredential().Password }
    }

    # What Invoke-RestMethod -Body @{...} -ContentType application/x-www-form-urlencoded sends.
    $form = @{
        grant_type            = 'client_credentials'
        client_assertion_type = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
        client_assertion      = $Jwt
    }
    $pairs = foreach ($key in $form.Keys) {
        [uri]::EscapeDataString($key) + '=' + [uri]::EscapeDataString($form[$key])
    }
    $body = $pairs -join '&'

    $client = [System.Net.Http.HttpClient]::new()
    try {
        $content = [System.Net.Http.StringContent]::new($body, [System.Text.Encoding]::UTF8, 'application/x-www-form-urlencoded')
        $response = $client.PostAsync($Endpoint, $content).GetAwaiter().GetResult()
        $text = $response.Content.ReadAsStringAsync().GetAwaiter().GetResult()
        if (-not $response.IsSuccessStatusCode) {
            throw "HTTP $([int]$response.StatusCode) from ${Endpoint}: $text"
        }
        $doc = [System.Text.Json.JsonDocument]::Parse($text)
        try {
            $root = $doc.RootElement
            $tokenType = $root.GetProperty('token_type').GetString()
            $accessToken = $root.GetProperty('access_token').GetString()
            $expiresIn = $root.GetProperty('expires_in').GetDouble()
        }
        finally { $doc.Dispose() }
    }
    finally { $client.Dispose() }

    if ($tokenType -ne 'Bearer') { throw "Unexpected token type '$tokenType'" }

    [pscustomobject]@{
        Endpoint    = $Endpoint
        AccessToken = [pscredential]::new('AccessToken', [System.Net.NetworkCredential]::new('', $accessToken).SecurePassword)
        JWT         = [pscredential]::new('JWT', [System.Net.NetworkCredential]::new('', $Jwt).SecurePassword)
        Expires     = [datetime]::UtcNow.AddSeconds($expiresIn)
    }
}

function Invoke-EmptyVcToken {
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
        [ValidateNotNullOrEmpty()]
        [psobject] $VenafiSession
    )

    [pscustomobject]@{
        Endpoint    = $Endpoint
        AccessToken = [pscredential]::new('AccessToken', [System.Net.NetworkCredential]::new('', 'bench-access-token-0123456789abcdef').SecurePassword)
        JWT         = [pscredential]::new('JWT', [System.Net.NetworkCredential]::new('', $Jwt).SecurePassword)
        Expires     = [datetime]::UtcNow.AddSeconds(3600)
    }
}

# Used by the breakdown only: the parameter binding of New-VcToken's signature, with no body.
function Invoke-BindOnlyVcToken {
    [CmdletBinding(DefaultParameterSetName = 'ScriptSession')]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Endpoint')]
        [ValidateNotNullOrEmpty()]
        [string] $Endpoint,

        [Parameter(Mandatory, ParameterSetName = 'Endpoint')]
        [Parameter(ParameterSetName = 'Session')]
        [ValidateNotNullOrEmpty()]
        [string] $Jwt,

        [Parameter(Mandatory, ParameterSetName = 'Session')]
        [ValidateNotNullOrEmpty()]
        [psobject] $VenafiSession
    )
}
