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
    # or installed. Wins over $env:NATIVETOKEN_TAKEOVER. Default: see Get-TakeoverSetting.
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

# The takeover: 'Off', 'On', or 'Auto' (the default): the aliases of an original that is loaded or
# installed (a folder of its name in $env:PSModulePath, so that a later Import-Module or
# auto-loading finds it), and no others: an alias with a cmdlet's own name makes Get-Help list two
# entries, a cost only worth paying where there is something to take over.
# -ArgumentList @{ Takeover = $true / $false } if given, else $env:NATIVETOKEN_TAKEOVER ('0',
# 'false', 'off', 'no': Off; '1', 'true', 'on', 'yes': On), else Auto. Read by the cmdlets too:
# Off, they never touch VenafiPS's session.
function Get-TakeoverSetting {
    [OutputType([string])]
    param([hashtable] $Options)
    foreach ($key in $Options.Keys) {
        if ($key -ne 'Takeover') {
            throw "NativeToken: unknown import option '$key'. The only option is Takeover, e.g. Import-Module NativeToken -ArgumentList @{ Takeover = `$false }."
        }
    }
    if ($Options.ContainsKey('Takeover')) {
        if ([bool]$Options['Takeover']) { return 'On' } else { return 'Off' }
    }
    $fromEnvironment = [System.Environment]::GetEnvironmentVariable('NATIVETOKEN_TAKEOVER')
    if ($fromEnvironment) {
        $value = $fromEnvironment.Trim().ToLowerInvariant()
        if ($value -in @('0', 'false', 'off', 'no')) { return 'Off' }
        if ($value -in @('1', 'true', 'on', 'yes')) { return 'On' }
    }
    'Auto'
}

# Whether a module of that name is loaded or installed. Directory checks only: import stays fast.
function Test-Original {
    [OutputType([bool])]
    param([string] $Name)
    if (Get-Module -Name $Name) { return $true }
    foreach ($folder in ([System.Environment]::GetEnvironmentVariable('PSModulePath') -split [System.IO.Path]::PathSeparator)) {
        if ($folder -and [System.IO.Directory]::Exists([System.IO.Path]::Combine($folder, $Name))) { return $true }
    }
    $false
}

function Set-Takeover {
    param([string] $Setting)
    foreach ($original in $script:TakeoverAliases.Keys) {
        if ($Setting -eq 'Auto' -and -not (Test-Original $original)) { continue }
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

# True when the global $VenafiSession is VenafiPS's exported variable: then this module's must not
# take the global name from it (the name goes to the module imported last).
function Test-VenafiPSSession {
    [OutputType([bool])]
    param()
    $global = Get-Variable -Name 'VenafiSession' -Scope Global -ErrorAction Ignore
    $null -ne $global -and $global.ModuleName -eq 'VenafiPS'
}

$script:TakeoverSetting = Get-TakeoverSetting -Options $Options
# What the cmdlets read: with the takeover not Off, VenafiPS's $VenafiSession is the session once
# VenafiPS is loaded.
$script:NativeTokenTakeover = $script:TakeoverSetting -ne 'Off'
if ($script:NativeTokenTakeover) {
    Set-Takeover -Setting $script:TakeoverSetting
}
$ExecutionContext.SessionState.Module.OnRemove = { Remove-Takeover }

if (Test-VenafiPSSession) {
    Export-ModuleMember -Cmdlet 'New-VcToken', 'New-ArmorApiToken', 'Update-ArmorApiToken'
}
else {
    Export-ModuleMember -Cmdlet 'New-VcToken', 'New-ArmorApiToken', 'Update-ArmorApiToken' -Variable 'VenafiSession'
}
