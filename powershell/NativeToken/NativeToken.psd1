@{
    # Keep equal to the crate version in Cargo.toml: the module ships the library built from it.
    ModuleVersion        = '0.1.0'
    RootModule           = 'NativeToken.psm1'
    GUID                 = 'd90aa468-3676-4c0c-aed4-e087873a3084'
    Author               = 'NativeToken contributors'
    CompanyName          = 'NativeToken'
    Copyright            = '(c) NativeToken contributors. MIT License.'
    Description          = 'Obtains API tokens for Venafi TLS Protect Cloud (New-VcToken) and Armor (New-ArmorApiToken) through a native library, with the parameters and output of the VenafiPS and ArmorPowerShell cmdlets of the same names.'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Core', 'Desktop')

    FunctionsToExport    = @('New-VcToken', 'New-ArmorApiToken')
    CmdletsToExport      = @()
    VariablesToExport    = @('VenafiSession')
    AliasesToExport      = @()

    FileList             = @('NativeToken.psd1', 'NativeToken.psm1')

    PrivateData          = @{
        PSData = @{
            Tags         = @('Venafi', 'TLSPC', 'Armor', 'Token', 'OAuth', 'Native', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'First release: New-VcToken and New-ArmorApiToken over the native_token library.'
        }
    }
}
