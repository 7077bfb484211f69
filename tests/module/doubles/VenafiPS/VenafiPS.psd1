# Test double of VenafiPS 6.11 (see ../README.md): the parts a TLSPC JWT session goes through.
@{
    ModuleVersion     = '6.11.0'
    RootModule        = 'VenafiPS.psm1'
    GUID              = '2a3c1f49-5a6e-4c1b-9a59-2f0f2e1c9d11'
    Author            = 'NativeToken tests'
    Description       = 'Test double of VenafiPS (written for the NativeToken tests).'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('New-VcToken', 'New-VenafiSession', 'Invoke-VenafiRestMethod', 'Get-VcUser')
    CmdletsToExport   = @()
    VariablesToExport = @('VenafiSession')
    AliasesToExport   = @()
}
