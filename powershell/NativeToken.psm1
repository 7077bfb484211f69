# NativeToken: New-VcToken and New-ArmorApiToken are compiled cmdlets (NativeToken.dll, a nested
# module of NativeToken.psd1) over the native_token library. This root script exists so that
# $VenafiSession is a variable of the module's script scope, as in VenafiPS: the cmdlets read and
# write it there, and scripts read it after Import-Module. Nothing is compiled or run at import.

# The current TLS Protect Cloud session (Platform, Server, Token), set by New-VcToken -Endpoint -Jwt.
$script:VenafiSession = $null

Export-ModuleMember -Cmdlet 'New-VcToken', 'New-ArmorApiToken' -Variable 'VenafiSession'
