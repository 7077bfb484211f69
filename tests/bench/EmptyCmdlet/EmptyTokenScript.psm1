# Root script of the benchmark's empty module in NativeToken's shape: the script-scoped session
# variable, and the nested DLL's cmdlet re-exported.
$script:VenafiSession = $null
Export-ModuleMember -Cmdlet New-EmptyVcToken -Variable VenafiSession
