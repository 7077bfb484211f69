@{
    # Stamped by scripts/build with the crate version from Cargo.toml (the module ships the library
    # built from it, and checks at import that nt_version() is the same).
    ModuleVersion        = '0.0.0'
    RootModule           = 'NativeToken.psm1'
    NestedModules        = @('NativeToken.dll')
    GUID                 = 'd90aa468-3676-4c0c-aed4-e087873a3084'
    Author               = 'NativeToken contributors'
    CompanyName          = 'NativeToken'
    Copyright            = '(c) NativeToken contributors. MIT License.'
    Description          = 'Obtains API tokens for Venafi TLS Protect Cloud (New-VcToken) and Armor (New-ArmorApiToken, Update-ArmorApiToken) through a native library, with the parameters and output of the VenafiPS and ArmorPowerShell commands of the same names. Imported beside VenafiPS or ArmorPowerShell, it makes their token requests go through the native library (Import-Module NativeToken -ArgumentList @{ Takeover = $false } turns that off).'
    PowerShellVersion    = '5.1'
    CompatiblePSEditions = @('Core', 'Desktop')
    # Windows PowerShell 5.1 loads netstandard2.0 assemblies from .NET Framework 4.7.2 on.
    DotNetFrameworkVersion = '4.7.2'

    CmdletsToExport      = @('New-VcToken', 'New-ArmorApiToken', 'Update-ArmorApiToken')
    FunctionsToExport    = @()
    # Not exported when VenafiPS's own $VenafiSession is loaded already (NativeToken.psm1).
    VariablesToExport    = @('VenafiSession')
    # None: the takeover's aliases are set in the global scope by NativeToken.psm1, not exported
    # (an exported alias with a cmdlet's own name resolves to itself).
    AliasesToExport      = @()

    # What always ships. scripts/build rewrites this line in out/NativeToken/ with every file it
    # lays out there, including each lib/<os>-<arch>/ native library present.
    FileList             = @('NativeToken.psd1', 'NativeToken.psm1', 'NativeToken.dll', 'en-US/NativeToken.dll-Help.xml', 'LICENSE', 'README.md')

    PrivateData          = @{
        PSData = @{
            Tags         = @('Venafi', 'TLSPC', 'Armor', 'Token', 'OAuth', 'Native', 'PSEdition_Core', 'PSEdition_Desktop', 'Windows', 'Linux', 'MacOS')
            LicenseUri   = 'https://opensource.org/licenses/MIT'
            ReleaseNotes = 'Compiled cmdlets over the native_token library; a script-scoped native session; proxy, CA and timeout settings made inside PowerShell apply to the next call; Ctrl+C stops a call at once.'
        }
    }
}
