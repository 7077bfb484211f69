# The empty compiled module in the shape of NativeToken (a tiny root script that declares and
# exports a script-scoped variable, the DLL nested): import_ms_empty_module_script_root in
# tests/bench. Laid out by tests/bench/run in target/bench/modules/.
@{
    RootModule           = 'EmptyTokenScript.psm1'
    NestedModules        = @('EmptyToken.dll')
    ModuleVersion        = '0.0.1'
    GUID                 = '9a3e6f42-2c57-4d0b-8f61-0b7d4e5a1c02'
    Author               = 'NativeToken contributors'
    Description          = 'NativeToken benchmark: an empty compiled module with a root script.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport    = @()
    CmdletsToExport      = @('New-EmptyVcToken')
    VariablesToExport    = @('VenafiSession')
    AliasesToExport      = @()
}
