# Before anything is timed (dot-sourced by Bench.ps1): every PowerShell command under comparison
# returns one object of the right shape.
function Test-VcOutput([string] $Name, [scriptblock] $Call, [string] $Endpoint) {
    $o = @(& $Call)
    $t = $o[0]
    $names = @($t.psobject.Properties.Name) -join ','
    $inSeconds = [int]($t.Expires - [datetime]::UtcNow).TotalSeconds
    $accessLen = $t.AccessToken.GetNetworkCredential().Password.Length
    $ok = $o.Count -eq 1 -and $names -eq 'Endpoint,AccessToken,JWT,Expires' -and $t.Endpoint -eq $Endpoint -and
        $t.AccessToken.UserName -eq 'AccessToken' -and $accessLen -gt 0 -and $t.JWT.UserName -eq 'JWT' -and
        $t.JWT.GetNetworkCredential().Password -ceq $Jwt -and $t.Expires.Kind -eq 'Utc' -and $inSeconds -gt 0
    $detail = "$names; access token $accessLen chars; Expires $($t.Expires.Kind), in $inSeconds s"
    Add-Result "check_$Name" $(if ($ok) { "ok ($detail)" } else { "WRONG ($detail)" })
    if (-not $ok) { throw "bench: $Name does not return the New-VcToken object: $detail" }
}
function Test-ArmorOutput([string] $Name, [scriptblock] $Call) {
    $o = @(& $Call)
    $t = $o[0]
    $names = @($t.psobject.Properties.Name | Sort-Object) -join ','
    $ok = $o.Count -eq 1 -and $names -eq 'access_token,expires_in,id_token,token_type' -and $t.access_token.Length -gt 0 -and $t.expires_in -gt 0
    $detail = "$names; access token $($t.access_token.Length) chars; expires_in $($t.expires_in)"
    Add-Result "check_$Name" $(if ($ok) { "ok ($detail)" } else { "WRONG ($detail)" })
    if (-not $ok) { throw "bench: $Name does not return the New-ArmorApiToken object: $detail" }
}
if (-not $WanOnly) {
    Write-Step 'checking what each command returns'
    Test-VcOutput 'vc_call' { New-VcToken -Endpoint $HttpEp -Jwt $Jwt } $HttpEp
    Test-VcOutput 'vc_call_tls' { New-VcToken -Endpoint $HttpsEp -Jwt $Jwt } $HttpsEp
    Test-ArmorOutput 'armor_call_tls' { New-ArmorApiToken -Code $ArmorCode }
    Test-VcOutput 'original_vc' { Invoke-OriginalVcToken -Endpoint $HttpEp -Jwt $Jwt } $HttpEp
    Test-VcOutput 'original_vc_tls' { Invoke-OriginalVcToken -Endpoint $HttpsEp -Jwt $Jwt } $HttpsEp
    Test-ArmorOutput 'original_armor_tls' { Invoke-OriginalArmorApiToken -Code $ArmorCode }
    Test-VcOutput 'ps_httpclient' { Invoke-PsHttpClientVcToken -Endpoint $HttpEp -Jwt $Jwt } $HttpEp
    Test-VcOutput 'ps_httpclient_tls' { Invoke-PsHttpClientVcToken -Endpoint $HttpsEp -Jwt $Jwt } $HttpsEp
    Test-VcOutput 'empty_cmdlet' { New-EmptyVcToken -Endpoint $HttpEp -Jwt $Jwt } $HttpEp
}
