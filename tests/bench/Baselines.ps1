# The lean PowerShell baseline of tests/bench (the second reference, after the originals in
# Originals.ps1): dot-sourced by the benchmark driver.
#
# Invoke-PsHttpClientVcToken: New-VcToken written as lean PowerShell over .NET: it builds the
#   url-encoded form from a hashtable, makes a NEW System.Net.Http.HttpClient for the call (as
#   Invoke-RestMethod does without -WebSession), posts, parses the JSON with System.Text.Json,
#   checks token_type and builds the same object as the module (PSCredentials, UTC DateTime).
#   It skips everything Invoke-RestMethod does beyond that (web session, response processing,
#   ConvertFrom-Json), so it is faster than the originals' way: a lower bar for the module.

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
        [ValidateNotNull()]
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
