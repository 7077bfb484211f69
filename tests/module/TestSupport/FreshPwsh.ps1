# Running scripts in a fresh pwsh process (settings that must be in the process environment
# before PowerShell starts, and imports that must not touch this process).

function Get-NtPwshStartInfo {
    [OutputType([System.Diagnostics.ProcessStartInfo])]
    param()
    $processPath = $null
    $property = [System.Environment].GetProperty('ProcessPath')
    if ($null -ne $property) { $processPath = $property.GetValue($null) }
    if (-not $processPath) { $processPath = [System.Diagnostics.Process]::GetCurrentProcess().MainModule.FileName }
    $arguments = ''
    if ([System.IO.Path]::GetFileNameWithoutExtension($processPath) -eq 'dotnet') {
        # pwsh run as a .NET tool (scripts/pwsh): start its assembly the same way.
        $arguments = '"' + [System.IO.Path]::Combine($PSHOME, 'pwsh.dll') + '" '
    }
    $info = [System.Diagnostics.ProcessStartInfo]::new($processPath)
    $info.Arguments = $arguments + '-NoProfile -NonInteractive -NoLogo'
    $info.UseShellExecute = $false
    $info.RedirectStandardOutput = $true
    $info.RedirectStandardError = $true
    $info.EnvironmentVariables['POWERSHELL_TELEMETRY_OPTOUT'] = '1'
    $info.EnvironmentVariables['POWERSHELL_UPDATECHECK'] = 'Off'
    $info
}

<#
.SYNOPSIS
Runs steps (scripts) one after the other in one runspace of a fresh pwsh process, with
-Environment in that process's environment from its start, -Variables set before each step and
the module imported (unless -NoModule). Returns one plain result per step: Output (PSCredential
as UserName/Password, other objects as they serialize), OutputTypes, Error (FullyQualifiedErrorId,
Category, ExceptionType, Message, TargetObject, Data, StatusCode, HttpRequestError), Succeeded,
Verbose, Warning, VisibleText and Elapsed, computed in the child.
#>
function Invoke-NtProcess {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] [string[]] $Step,
        [hashtable] $Variables = @{},
        [hashtable] $Environment = @{},
        [switch] $NoModule,
        [string] $ModulePath = (Get-NtTestModulePath),
        [int] $TimeoutSeconds = 120
    )
    $folder = New-NtTempFolder -Prefix 'nativetoken-child'
    try {
        $request = [System.IO.Path]::Combine($folder, 'request.xml')
        $response = [System.IO.Path]::Combine($folder, 'response.xml')
        [pscustomobject]@{ Steps = $Step; Variables = $Variables; NoModule = [bool]$NoModule; ModulePath = $ModulePath } |
            Export-Clixml -LiteralPath $request -Depth 4
        $command = "Import-Module -Name '$($script:SupportModulePath.Replace("'", "''"))' -ErrorAction Stop; " +
        "Invoke-NtProcessRequest -RequestPath '$($request.Replace("'", "''"))' -ResponsePath '$($response.Replace("'", "''"))'"
        $info = Get-NtPwshStartInfo
        $info.Arguments += ' -EncodedCommand ' + [Convert]::ToBase64String([System.Text.Encoding]::Unicode.GetBytes($command))
        foreach ($name in $Environment.Keys) {
            if ($null -eq $Environment[$name]) { $info.EnvironmentVariables.Remove($name) } else { $info.EnvironmentVariables[$name] = [string]$Environment[$name] }
        }
        $process = [System.Diagnostics.Process]::Start($info)
        try {
            $stdout = $process.StandardOutput.ReadToEndAsync()
            $stderr = $process.StandardError.ReadToEndAsync()
            if (-not $process.WaitForExit($TimeoutSeconds * 1000)) {
                $process.Kill()
                throw "The child pwsh did not finish within $TimeoutSeconds s."
            }
            $process.WaitForExit()
            if ($process.ExitCode -ne 0 -or -not [System.IO.File]::Exists($response)) {
                throw "The child pwsh failed (exit code $($process.ExitCode)): $($stderr.Result) $($stdout.Result)"
            }
        }
        finally { $process.Dispose() }
        Import-Clixml -LiteralPath $response
    }
    finally { Remove-NtTempFolder $folder }
}

# The child's side of Invoke-NtProcess.
function Invoke-NtProcessRequest {
    param([Parameter(Mandatory)] [string] $RequestPath, [Parameter(Mandatory)] [string] $ResponsePath)
    $request = Import-Clixml -LiteralPath $RequestPath
    $variables = @{}
    if ($null -ne $request.Variables) { foreach ($key in $request.Variables.Keys) { $variables[$key] = $request.Variables[$key] } }
    $runspace = New-NtRunspace -NoModule:$request.NoModule -ModulePath $request.ModulePath
    try {
        $results = foreach ($step in @($request.Steps)) {
            ConvertTo-NtPlainResult (Invoke-NtScript -Runspace $runspace -Script $step -Variables $variables)
        }
        $results | Export-Clixml -LiteralPath $ResponsePath -Depth 6
    }
    finally { $runspace.Dispose() }
}

function ConvertTo-NtPlainValue {
    param($Value, [int] $Depth = 0)
    $base = $Value
    if ($Value -is [psobject]) { $base = $Value.PSObject.BaseObject }
    if ($null -eq $base -or $base -is [string] -or $base -is [ValueType]) { return $base }
    if ($base -is [pscredential]) { $Value = $base }
    if ($Value -is [pscredential]) {
        return [pscustomobject]@{ PSTypeName = 'NativeToken.Test.PlainCredential'; UserName = $Value.UserName; Password = $Value.GetNetworkCredential().Password }
    }
    if ($Depth -ge 3) { return [string]$Value }
    $plain = [ordered]@{}
    # A [pscustomobject]'s properties live on its PSObject wrapper, so keep the wrapper.
    foreach ($property in $Value.PSObject.Properties) {
        $plain[$property.Name] = ConvertTo-NtPlainValue $property.Value ($Depth + 1)
    }
    [pscustomobject]$plain
}

function ConvertTo-NtPlainError {
    param($Record)
    if ($null -eq $Record) { return $null }
    $exception = $Record.Exception
    $data = [ordered]@{}
    foreach ($entry in $exception.Data.GetEnumerator()) { $data[[string]$entry.Key] = ConvertTo-NtPlainValue $entry.Value }
    $status = $null
    $statusProperty = $exception.PSObject.Properties['StatusCode']
    if ($null -ne $statusProperty -and $null -ne $statusProperty.Value) { $status = [int]$statusProperty.Value }
    $requestError = $null
    $requestErrorProperty = $exception.PSObject.Properties['HttpRequestError']
    if ($null -ne $requestErrorProperty) { $requestError = [string]$requestErrorProperty.Value }
    [pscustomobject]@{
        FullyQualifiedErrorId = $Record.FullyQualifiedErrorId
        Category              = [string]$Record.CategoryInfo.Category
        ExceptionType         = $exception.GetType().FullName
        Message               = $exception.Message
        TargetObject          = if ($null -ne $Record.TargetObject) { [string]$Record.TargetObject } else { $null }
        Data                  = $data
        StatusCode            = $status
        HttpRequestError      = $requestError
    }
}

function ConvertTo-NtPlainResult {
    param($Result)
    [pscustomobject]@{
        PSTypeName  = 'NativeToken.Test.PlainResult'
        Output      = @($Result.Output | ForEach-Object { ConvertTo-NtPlainValue $_ })
        OutputTypes = @($Result.Output | ForEach-Object { $_.PSObject.BaseObject.GetType().FullName })
        Error       = ConvertTo-NtPlainError $Result.Error
        ErrorCount  = $Result.AllErrors.Count
        Succeeded   = $Result.Succeeded
        Verbose     = $Result.Verbose
        Warning     = $Result.Warning
        VisibleText = @(Get-NtVisibleText $Result)
        ElapsedMs   = $Result.Elapsed.TotalMilliseconds
    }
}
