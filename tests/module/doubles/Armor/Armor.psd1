# Test double of ArmorPowerShell (see ../README.md): Connect-Armor and what it goes through.
@{
    ModuleVersion     = '1.0.354'
    RootModule        = 'Armor.psm1'
    GUID              = '6f0b7f0e-3c55-4b8e-8f0c-5d0b7a1e2c22'
    Author            = 'NativeToken tests'
    Description       = 'Test double of ArmorPowerShell (written for the NativeToken tests).'
    PowerShellVersion = '5.1'
    FunctionsToExport = @('Connect-Armor', 'Get-ArmorIdentity', 'Set-ArmorAccountContext', 'Get-ArmorAccount')
    CmdletsToExport   = @()
    VariablesToExport = @()
    AliasesToExport   = @()
}
