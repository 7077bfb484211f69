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

# The body of Invoke-PsHttpClientVcToken; its [CmdletBinding()] and parameters are those of
# Invoke-OriginalVcToken (Originals.ps1, dot-sourced first), taken from its metadata below, so that
# both bind -Endpoint -Jwt through the same three parameter sets.
$psHttpClientVcToken = {
    if ($PSCmdlet.ParameterSetName -ne 'Endpoint') { $Endpoint, $Jwt = Resolve-VcSessionRequest $VenafiSession $Jwt }

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
$originalVcToken = [System.Management.Automation.CommandMetadata]::new((Get-Command Invoke-OriginalVcToken))
${function:Invoke-PsHttpClientVcToken} = [scriptblock]::Create(
    [System.Management.Automation.ProxyCommand]::GetCmdletBindingAttribute($originalVcToken) + "`n[OutputType([pscustomobject])]`nparam(" +
    [System.Management.Automation.ProxyCommand]::GetParamBlock($originalVcToken) + ")`n" + $psHttpClientVcToken.ToString())
