# What an error is expected to carry: the module's FullyQualifiedErrorIds, and the HTTP exception
# type, request error and status on each PowerShell edition.

<#
.SYNOPSIS
The FullyQualifiedErrorId a command of the module under test gives for an error kind:
NativeToken.<Kind>,<command>, where <command> is the implementing type's full name for a
compiled cmdlet (NativeToken.Commands.NewVcTokenCommand) and the command name for a function.
-Id gives the engine's own ids (e.g. ParameterArgumentValidationError) the same way.
#>
function Get-ExpectedErrorId {
    [OutputType([string])]
    param(
        [Parameter(Mandatory, ParameterSetName = 'Kind')] [string] $Kind,
        [Parameter(Mandatory, ParameterSetName = 'Id')] [string] $Id,
        [Parameter(Mandatory)] [ValidateSet('New-VcToken', 'New-ArmorApiToken')] [string] $Command
    )
    if (-not $script:ErrorIdSuffix.ContainsKey($Command)) {
        $info = Invoke-NtScript -Script '$c = Get-Command $Name -ErrorAction Stop; if ($c.CommandType -eq "Alias") { $c = $c.ResolvedCommand }; if ($c.PSObject.Properties["ImplementingType"] -and $c.ImplementingType) { $c.ImplementingType.FullName } else { $c.Name }' -Variables @{ Name = $Command }
        if (-not $info.Succeeded) { throw "Get-Command $Command failed: $($info.Error.Exception.Message)" }
        $script:ErrorIdSuffix[$Command] = [string]$info.Output[0]
    }
    $first = if ($PSCmdlet.ParameterSetName -eq 'Kind') { "NativeToken.$Kind" } else { $Id }
    "$first,$($script:ErrorIdSuffix[$Command])"
}

# The exception type of HTTP and connection failures: HttpRequestException on PowerShell 7,
# WebException on Windows PowerShell 5.1 (docs/ERRORS.md).
function Get-NtHttpExceptionType {
    [OutputType([type])]
    param()
    if ($script:IsDesktop) { return [System.Net.WebException] }
    [System.Net.Http.HttpRequestException]
}

# What kind of network failure an exception reports, in .NET's HttpRequestError names (mapped
# from WebException.Status on Windows PowerShell 5.1).
function Get-NtRequestError {
    [OutputType([string])]
    param([Parameter(Mandatory, Position = 0)] [System.Exception] $Exception)
    if ($Exception -is [System.Net.WebException]) {
        $map = @{ ConnectFailure = 'ConnectionError'; NameResolutionFailure = 'NameResolutionError'; ConnectionClosed = 'ResponseEnded'; TrustFailure = 'SecureConnectionError'; ProtocolError = 'Unknown' }
        return $map[[string]$Exception.Status]
    }
    [string]$Exception.HttpRequestError
}

# The HTTP status an exception reports (StatusCode on PowerShell 7, Data['HttpStatus'] always).
function Get-NtHttpStatus {
    param([Parameter(Mandatory, Position = 0)] [System.Exception] $Exception)
    $property = $Exception.PSObject.Properties['StatusCode']
    if ($null -ne $property) {
        if ($null -eq $property.Value) { return $null }
        return [int]$property.Value
    }
    $Exception.Data['HttpStatus']
}
