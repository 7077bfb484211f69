# NativeToken: New-VcToken, New-ArmorApiToken and Update-ArmorApiToken are compiled cmdlets
# (NativeToken.dll, a nested module of NativeToken.psd1) over the native_token library. This root
# script exists for two things the cmdlets cannot do themselves:
#   - $VenafiSession is a variable of the module's script scope, as in VenafiPS: the cmdlets read
#     and write it there, and scripts read it after Import-Module;
#   - the takeover: global aliases that make the token commands of VenafiPS and ArmorPowerShell
#     resolve to these cmdlets from everywhere, also inside those modules (README, "Switching from
#     VenafiPS or ArmorPowerShell").
# Nothing is compiled, and no request is made, at import.

param(
    # Import-Module NativeToken -ArgumentList @{ Takeover = $false }: no aliases; the originals'
    # commands stay theirs. Wins over $env:NATIVETOKEN_TAKEOVER.
    [hashtable] $Options = @{}
)

# The current TLS Protect Cloud session (Platform, Server, TimeoutSec, SkipCertificateCheck, Token,
# User), set by New-VcToken -Endpoint -Jwt when VenafiPS is not loaded. With VenafiPS loaded,
# VenafiPS's own $VenafiSession is the session (the cmdlets find it through its module).
$script:VenafiSession = $null

# The names the originals call their token commands by, and the cmdlet each one now means.
# Global aliases, because PowerShell looks up an alias before any function (also from inside a
# module, where the module's own functions otherwise come first); an alias exported by this
# module with the cmdlet's own name would resolve to itself.
$script:TakeoverAliases = [ordered]@{
    'New-VcToken'           = 'NativeToken\New-VcToken'        # VenafiPS (public)
    'New-ArmorApiToken'     = 'NativeToken\New-ArmorApiToken'  # ArmorPowerShell up to 1.0.295 (private)
    'Request-ArmorApiToken' = 'NativeToken\New-ArmorApiToken'  # ArmorPowerShell from 1.0.300 (private)
    'Update-ArmorApiToken'  = 'NativeToken\Update-ArmorApiToken' # ArmorPowerShell's renewal (private)
}

# Whether the takeover is on: -ArgumentList @{ Takeover = ... } if given, else
# $env:NATIVETOKEN_TAKEOVER ('0', 'false', 'off' or 'no' turn it off), else on. Read by the
# cmdlets too: with it off they never touch VenafiPS's session.
function Get-TakeoverSetting {
    [OutputType([bool])]
    param([hashtable] $Options)
    foreach ($key in $Options.Keys) {
        if ($key -ne 'Takeover') {
            throw "NativeToken: unknown import option '$key'. The only option is Takeover, e.g. Import-Module NativeToken -ArgumentList @{ Takeover = `$false }."
        }
    }
    if ($Options.ContainsKey('Takeover')) {
        return [bool]$Options['Takeover']
    }
    $fromEnvironment = [System.Environment]::GetEnvironmentVariable('NATIVETOKEN_TAKEOVER')
    -not ($fromEnvironment -and $fromEnvironment.Trim() -in @('0', 'false', 'off', 'no'))
}

function Set-Takeover {
    foreach ($name in $script:TakeoverAliases.Keys) {
        Set-Alias -Name $name -Value $script:TakeoverAliases[$name] -Scope Global -Force `
            -Description 'NativeToken: the native token command (Remove-Module NativeToken gives the original back)'
    }
}

# Removes the aliases this module set, and only those (a user's own alias of the same name stays).
function Remove-Takeover {
    foreach ($name in $script:TakeoverAliases.Keys) {
        $alias = Get-Alias -Name $name -Scope Global -ErrorAction Ignore
        if ($alias -and $alias.Definition -eq $script:TakeoverAliases[$name]) {
            Remove-Item -LiteralPath "Alias:\$name" -Force
        }
    }
}

# True when the global $VenafiSession is VenafiPS's exported variable: then this module's must not
# take the global name from it (the name goes to the module imported last).
function Test-VenafiPSSession {
    [OutputType([bool])]
    param()
    $global = Get-Variable -Name 'VenafiSession' -Scope Global -ErrorAction Ignore
    $null -ne $global -and $global.ModuleName -eq 'VenafiPS'
}

$script:NativeTokenTakeover = Get-TakeoverSetting -Options $Options
if ($script:NativeTokenTakeover) {
    Set-Takeover
}
$ExecutionContext.SessionState.Module.OnRemove = { Remove-Takeover }

if (Test-VenafiPSSession) {
    Export-ModuleMember -Cmdlet 'New-VcToken', 'New-ArmorApiToken', 'Update-ArmorApiToken'
}
else {
    Export-ModuleMember -Cmdlet 'New-VcToken', 'New-ArmorApiToken', 'Update-ArmorApiToken' -Variable 'VenafiSession'
}
