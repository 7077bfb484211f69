# Test double of ArmorPowerShell (see ../README.md). Behaviour follows ArmorPowerShell's
# (1.0.295 and master); the code is written here.

param(
    # The private token function's name: New-ArmorApiToken up to 1.0.295, Request-ArmorApiToken
    # from 1.0.300.
    [ValidateSet('Request-ArmorApiToken', 'New-ArmorApiToken')]
    [string] $TokenFunction = 'Request-ArmorApiToken'
)

$script:TokenFunction = $TokenFunction
# The token object the private token function gave Connect-Armor last (for the tests to look at).
$script:LastToken = $null

class ArmorSession {
    [object] $User
    [object[]] $Accounts = @()
    [object[]] $Departments = @()
    [object[]] $Permissions = @()
    [object[]] $Features = @()
    [string] $Server = 'api.armor.com'
    [UInt16] $Port = 443
    [ValidateRange(1, 15)]
    [UInt16] $SessionLengthInMinutes
    [DateTime] $SessionStartTime
    [DateTime] $SessionExpirationTime
    [string] $ApiVersion = 'v1.0'
    hidden [hashtable] $Headers = @{}

    ArmorSession([string] $Server, [UInt16] $Port, [string] $ApiVersion) {
        $this.Server = $Server
        $this.Port = $Port
        $this.ApiVersion = $ApiVersion
        $this.SessionExpirationTime = Get-Date
        $this.Headers.Add('Accept', 'application/json')
        $this.Headers.Add('Content-Type', 'application/json')
    }

    [void] Authorize([string] $AccessToken, [UInt16] $SessionLengthInMinutes) {
        if ($AccessToken -notmatch '^[a-z0-9]{32}$') { throw 'Invalid access token.' }
        $now = Get-Date
        if ($this.SessionStartTime -eq [DateTime]::MinValue) { $this.SessionStartTime = $now }
        $this.SessionLengthInMinutes = $SessionLengthInMinutes
        $this.SessionExpirationTime = $now.AddMinutes($SessionLengthInMinutes)
        $this.Headers.Authorization = "FH-AUTH $AccessToken"
    }

    [string] GetToken() {
        if ($this.Headers.Authorization -notmatch '^FH-AUTH [a-z0-9]+$') { throw 'The session has not been authorized.' }
        return $this.Headers.Authorization.Split(' ')[-1]
    }

    [int] GetMinutesRemaining() { return ($this.SessionExpirationTime - (Get-Date)).Minutes }

    [bool] IsActive() { return $this.SessionExpirationTime -gt (Get-Date) }

    [UInt16] GetAccountContextID() { return $this.Headers.'X-Account-Context' }

    [void] SetAccountContext([UInt16] $ID) {
        if ($ID -notin $this.Accounts.ID) { throw "Invalid account context: '$ID'." }
        $this.Headers.'X-Account-Context' = $ID
    }
}

function Invoke-ArmorRestMethod {
    param([string] $Path, [string] $Method = 'Get', [string] $Body = '')
    $uri = 'https://{0}:{1}{2}' -f $Global:ArmorSession.Server, $Global:ArmorSession.Port, $Path
    if ($Method -eq 'Get') {
        $headers = $Global:ArmorSession.Headers.Clone()
        $headers.Remove('Content-Type')
        $response = Invoke-WebRequest -Uri $uri -Headers $headers -Method Get -UseBasicParsing
    }
    else {
        $response = Invoke-WebRequest -Uri $uri -Headers $Global:ArmorSession.Headers -Method $Method -Body $Body -UseBasicParsing
    }
    if ($response.StatusCode -ne 200) { throw $response.StatusDescription }
    $response.Content | ConvertFrom-Json
}

# The private token function, under the name this import was given (only that one exists).
$redeemCode = {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [string] $Code,
        [Parameter(Position = 1)] [ValidateSet('authorization_code')] [string] $GrantType = 'authorization_code',
        [Parameter(Position = 2)] [string] $ApiVersion = $Global:ArmorSession.ApiVersion
    )
    $body = [ordered]@{ code = $Code; grant_type = $GrantType } | ConvertTo-Json -Compress
    Invoke-ArmorRestMethod -Path '/auth/token' -Method Post -Body $body
}
Set-Item -Path "function:script:$TokenFunction" -Value $redeemCode

# Private, as in ArmorPowerShell: the renewal.
function Update-ArmorApiToken {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] [string] $Token = $Global:ArmorSession.GetToken(),
        [Parameter(Position = 1)] [string] $ApiVersion = $Global:ArmorSession.ApiVersion
    )
    $results = Invoke-ArmorRestMethod -Path '/auth/token/reissue' -Method Post -Body (@{ token = $Token } | ConvertTo-Json -Compress)
    $Global:ArmorSession.Authorize($results.access_token, $results.expires_in)
}

# Private, as Assert-ArmorSession (Test-ArmorSession up to 1.0.295): renews once two thirds of
# the session have passed.
function Assert-ArmorSession {
    if (-not $Global:ArmorSession.IsActive()) { throw 'Session expired.  Please log in again.' }
    if ($Global:ArmorSession.GetMinutesRemaining() -lt ($Global:ArmorSession.SessionLengthInMinutes * (2 / 3))) {
        Update-ArmorApiToken -Token $Global:ArmorSession.GetToken()
    }
}

function Connect-Armor {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [pscredential] $Credential,
        [Parameter(Position = 1)] [UInt16] $AccountID = 0,
        [Parameter(Position = 2)] [string] $Server = 'api.armor.com',
        [Parameter(Position = 3)] [UInt16] $Port = 443,
        [Parameter(Position = 4)] [string] $ApiVersion = 'v1.0'
    )
    $Global:ArmorSession = [ArmorSession]::new($Server, $Port, $ApiVersion)
    $body = @{ Username = $Credential.UserName; Password = $Credential.GetNetworkCredential().Password } | ConvertTo-Json
    $results = Invoke-ArmorRestMethod -Path '/auth/authorize' -Method Post -Body $body
    if (-not ($results.code.Length -gt 0 -and $results.success -eq 'true')) { throw 'Failed to obtain temporary authorization code.' }
    # The literal names, as the two versions call them.
    $token = switch ($script:TokenFunction) {
        'Request-ArmorApiToken' { Request-ArmorApiToken -Code $results.code -GrantType 'authorization_code' }
        'New-ArmorApiToken' { New-ArmorApiToken -Code $results.code -GrantType 'authorization_code' }
    }
    $script:LastToken = $token
    $Global:ArmorSession.Authorize($token.Access_Token, $token.Expires_In)
    Get-ArmorIdentity -ErrorAction Stop | Out-Null
    if ($AccountID -eq 0) { $AccountID = $Global:ArmorSession.Accounts.ID | Select-Object -First 1 }
    Set-ArmorAccountContext -ID $AccountID
    $Global:ArmorSession
}

function Get-ArmorIdentity {
    [CmdletBinding()]
    param()
    Assert-ArmorSession
    $results = Invoke-ArmorRestMethod -Path '/me'
    $Global:ArmorSession.User = $results.User | Select-Object -First 1
    $Global:ArmorSession.Accounts = $results.Accounts
    $Global:ArmorSession.Departments = $results.Departments
    $Global:ArmorSession.Permissions = $results.Permissions
    $Global:ArmorSession.Features = $results.Features
    $Global:ArmorSession
}

function Set-ArmorAccountContext {
    [CmdletBinding()]
    param([Parameter(Mandatory)] [UInt16] $ID)
    $Global:ArmorSession.SetAccountContext($ID)
}

function Get-ArmorAccount {
    [CmdletBinding()]
    param()
    Assert-ArmorSession
    Invoke-ArmorRestMethod -Path '/accounts'
}

Export-ModuleMember -Function 'Connect-Armor', 'Get-ArmorIdentity', 'Set-ArmorAccountContext', 'Get-ArmorAccount'
