# Secrets: JWTs and Armor codes the emulator accepts, unique so they can be searched for, and the
# search for them in what a call shows.

function ConvertTo-NtBase64Url {
    param([byte[]] $Bytes)
    [Convert]::ToBase64String($Bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')
}

function Get-NtRandomBytes {
    param([int] $Count)
    $bytes = [byte[]]::new($Count)
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    try { $rng.GetBytes($bytes) } finally { $rng.Dispose() }
    , $bytes
}

<#
.SYNOPSIS
A JWT of three base64url parts with the given header and payload texts (random signature).
#>
function New-NtJwtFromParts {
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Header, [Parameter(Mandatory)] [string] $Payload)
    $utf8 = [System.Text.UTF8Encoding]::new($false)
    (ConvertTo-NtBase64Url $utf8.GetBytes($Header)) + '.' + (ConvertTo-NtBase64Url $utf8.GetBytes($Payload)) + '.' + (ConvertTo-NtBase64Url (Get-NtRandomBytes 64))
}

<#
.SYNOPSIS
A unique JWT the emulator accepts: it reads alg, exp and sub and does not check the signature.
-ValidFor (default 1 h; negative: already expired) or -Expires gives exp (whole seconds).
#>
function New-NtJwt {
    [OutputType([string])]
    param([string] $Subject = 'svc-nativetoken-tests', [timespan] $ValidFor = [timespan]::FromHours(1), [object] $Expires)
    $now = [datetimeoffset]::UtcNow
    $exp = if ($null -eq $Expires) { $now.Add($ValidFor) } else { [datetimeoffset]$Expires }
    $payload = '{{"sub":"{0}","iss":"{0}","iat":{1},"exp":{2},"jti":"{3}"}}' -f $Subject, $now.ToUnixTimeSeconds(), $exp.ToUnixTimeSeconds(), [guid]::NewGuid().ToString('N')
    New-NtJwtFromParts -Header '{"alg":"RS256","typ":"JWT"}' -Payload $payload
}

<#
.SYNOPSIS
An Armor temporary code: base64 of 32 random bytes with '+' and '/' in it (so a client that
form-encodes or URL-decodes it by mistake breaks it).
#>
function New-NtArmorCode {
    [OutputType([string])]
    param()
    while ($true) {
        $code = [Convert]::ToBase64String((Get-NtRandomBytes 32))
        if ($code.Contains('+') -and $code.Contains('/')) { return $code }
    }
}

# The parts of a secret worth searching for: the value, its percent-encoded form (as in a URL
# or a form body) and, for a JWT, every dot-separated part of 16 characters or more.
function Get-NtSecretFragment {
    [OutputType([string[]])]
    param([Parameter(Mandatory)] [string] $Secret)
    $Secret
    $encoded = [uri]::EscapeDataString($Secret)
    if ($encoded -ne $Secret) { $encoded }
    foreach ($part in $Secret.Split('.')) { if ($part.Length -ge 16 -and $part -ne $Secret) { $part } }
}

<#
.SYNOPSIS
Every text of texts that holds a secret (or a long part of one), with the secret replaced by
<SECRET>, so a failing test can show where it leaked without printing it. Nothing when clean.
#>
function Find-NtSecret {
    [OutputType([string[]])]
    param([AllowNull()] [AllowEmptyCollection()] [string[]] $Text, [AllowNull()] [AllowEmptyCollection()] [string[]] $Secret)
    foreach ($s in @($Secret)) {
        if ([string]::IsNullOrEmpty($s)) { continue }
        foreach ($fragment in (Get-NtSecretFragment $s)) {
            foreach ($t in @($Text)) {
                if ($null -ne $t -and $t.Contains($fragment)) {
                    'a secret leaked into: ' + $t.Replace($fragment, '<SECRET>')
                }
            }
        }
    }
}
