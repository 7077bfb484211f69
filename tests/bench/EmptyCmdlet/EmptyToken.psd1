# The empty compiled module of the benchmark: the DLL as root module, one cmdlet that does no work
# (import_ms_empty_module in tests/bench). Laid out by tests/bench/run in target/bench/modules/.
@{
    RootModule           = 'EmptyToken.dll'
    ModuleVersion        = '0.0.1'
    GUID                 = '5d0c8b8e-7b1e-4c53-9a55-3f1d2b7c9e01'
    Author               = 'NativeToken contributors'
    Description          = 'NativeToken benchmark: an empty compiled module.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Desktop', 'Core')
    FunctionsToExport    = @()
    CmdletsToExport      = @('New-EmptyVcToken')
    VariablesToExport    = @()
    AliasesToExport      = @()
}
