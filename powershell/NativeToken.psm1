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
    # Import-Module NativeToken -ArgumentList @{ Takeover = ... }: $false, no aliases (the
    # originals' commands stay theirs); $true, the aliases even when neither original is loaded
    # or installed. Wins over $env:NATIVETOKEN_TAKEOVER (see NativeToken.Takeover).
    [hashtable] $Options = @{}
)

# The current TLS Protect Cloud session (Platform, Server, TimeoutSec, SkipCertificateCheck, Token,
# User), set by New-VcToken -Endpoint -Jwt when VenafiPS is not loaded. With VenafiPS loaded,
# VenafiPS's own $VenafiSession is the session (the cmdlets find it through its module).
$script:VenafiSession = $null

# Per original module (by its module name), the names it calls its token commands by, and the
# cmdlet each one now means. Global aliases, because PowerShell looks up an alias before any
# function (also from inside a module, where the module's own functions otherwise come first);
# an alias exported by this module with the cmdlet's own name would resolve to itself.
$script:TakeoverAliases = [ordered]@{
    'VenafiPS' = [ordered]@{
        'New-VcToken' = 'NativeToken\New-VcToken'                     # public
    }
    'Armor'    = [ordered]@{
        'New-ArmorApiToken'     = 'NativeToken\New-ArmorApiToken'     # private, up to 1.0.295
        'Request-ArmorApiToken' = 'NativeToken\New-ArmorApiToken'     # private, from 1.0.300
        'Update-ArmorApiToken'  = 'NativeToken\Update-ArmorApiToken'  # private, the renewal
    }
}

function Set-Takeover {
    param([string[]] $Originals)
    foreach ($original in $Originals) {
        $aliases = $script:TakeoverAliases[$original]
        foreach ($name in $aliases.Keys) {
            Set-Alias -Name $name -Value $aliases[$name] -Scope Global -Force `
                -Description "NativeToken: the native token command instead of $original's (Remove-Module NativeToken gives $original's back)"
        }
    }
}

# Removes the aliases this module set, and only those (a user's own alias of the same name stays).
function Remove-Takeover {
    foreach ($aliases in $script:TakeoverAliases.Values) {
        foreach ($name in $aliases.Keys) {
            $alias = Get-Alias -Name $name -Scope Global -ErrorAction Ignore
            if ($alias -and $alias.Definition -eq $aliases[$name]) {
                Remove-Item -LiteralPath "Alias:\$name" -Force
            }
        }
    }
}

# The setting (NativeToken.Takeover: Off, On, or Auto, the default: the aliases of an original that
# is loaded or installed, see README) and, read by the cmdlets, whether it is on: then, once
# VenafiPS is loaded, VenafiPS's $VenafiSession is the session.
$script:TakeoverSetting = [NativeToken.Takeover]::Setting($Options)
$script:NativeTokenTakeover = $script:TakeoverSetting -ne 'Off'
$originals = [NativeToken.Takeover]::OriginalsToTakeOver($ExecutionContext.SessionState, $script:TakeoverSetting)
if ($originals.Count -ne 0) {
    Set-Takeover -Originals $originals
    # Only then: an OnRemove handler is not free (in a runspace pool whose runspaces import the
    # module, one made the pool hand out fewer distinct runspaces).
    $ExecutionContext.SessionState.Module.OnRemove = { Remove-Takeover }
}

# Never take the global name $VenafiSession from VenafiPS's exported variable (the name goes to the
# module imported last).
if ([NativeToken.Takeover]::IsVenafiPSSessionGlobal($ExecutionContext.SessionState)) {
    Export-ModuleMember -Cmdlet 'New-VcToken', 'New-ArmorApiToken', 'Update-ArmorApiToken'
}
else {
    Export-ModuleMember -Cmdlet 'New-VcToken', 'New-ArmorApiToken', 'Update-ArmorApiToken' -Variable 'VenafiSession'
}
