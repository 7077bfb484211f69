# Running scripts in fresh runspaces of this process with the module imported, and what a call
# shows (streams, errors, visible text).

<#
.SYNOPSIS
Opens a fresh runspace of this process with the module under test imported (unless -NoModule).
Module state, such as the script session, lives as long as the runspace: Dispose() it.
#>
function New-NtRunspace {
    [CmdletBinding()]
    param([switch] $NoModule, [string] $ModulePath = (Get-NtTestModulePath))
    $iss = [System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2()
    if ($script:OnWindows) { $iss.ExecutionPolicy = 'Bypass' }
    $runspace = [runspacefactory]::CreateRunspace($iss)
    $runspace.Open()
    if (-not $NoModule) {
        $imported = Import-NtModuleInto -Runspace $runspace -ModulePath $ModulePath
        if (-not $imported.Succeeded -and $script:UnderWine -and (Test-NtWineInvalidHandle $imported.Error)) {
            # Once in a few thousand imports under Wine, reading the module's .psm1 fails with
            # ERROR_INVALID_HANDLE (seen once in CI, never reproduced in 450 imports in a loop).
            # One more try tells Wine's quirk from a module that cannot be imported; the warning
            # keeps it visible in the log.
            Write-Warning "Import-Module $ModulePath failed under Wine with 'Invalid handle'; trying once more."
            $imported = Import-NtModuleInto -Runspace $runspace -ModulePath $ModulePath
        }
        if (-not $imported.Succeeded) {
            $runspace.Dispose()
            throw "Import-Module $ModulePath failed: $($imported.Error.Exception.Message)"
        }
    }
    $runspace
}

function Import-NtModuleInto {
    param([System.Management.Automation.Runspaces.Runspace] $Runspace, [string] $ModulePath)
    Invoke-NtScript -Runspace $Runspace -Script 'Import-Module -Name $NtModulePath -ErrorAction Stop' -Variables @{ NtModulePath = $ModulePath }
}

# Whether an error is Windows' ERROR_INVALID_HANDLE (HRESULT 0x80070006), anywhere in its chain.
function Test-NtWineInvalidHandle {
    param([System.Management.Automation.ErrorRecord] $ErrorRecord)
    for ($e = $ErrorRecord.Exception; $null -ne $e; $e = $e.InnerException) {
        if ($e.HResult -eq -2147024890 -or $e.Message -like 'Invalid handle*') { return $true }
    }
    $false
}

# The ErrorRecord behind an exception thrown out of PowerShell.Invoke().
function Get-NtErrorRecord {
    param([System.Exception] $Exception)
    $e = $Exception
    while ($e -is [System.Management.Automation.MethodInvocationException] -and $null -ne $e.InnerException) { $e = $e.InnerException }
    if ($e -is [System.Management.Automation.IContainsErrorRecord]) { return $e.ErrorRecord }
    [System.Management.Automation.ErrorRecord]::new($e, 'UnexpectedException', 'NotSpecified', $null)
}

<#
.SYNOPSIS
Runs a script in a runspace (a fresh one, disposed afterwards, when none is given); variables
are set in the runspace's global scope first. Returns Output, Errors (non-terminating),
Terminating, Error (the one error of a failed call), Succeeded, Verbose, Warning, Debug,
Information (texts) and Elapsed.
#>
function Invoke-NtScript {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] [System.Management.Automation.Runspaces.Runspace] $Runspace,
        [Parameter(Mandatory, Position = 1)] [string] $Script,
        [Parameter(Position = 2)] [hashtable] $Variables = @{}
    )
    $own = $null -eq $Runspace
    if ($own) { $Runspace = New-NtRunspace }
    $ps = [powershell]::Create()
    try {
        foreach ($name in $Variables.Keys) { $Runspace.SessionStateProxy.SetVariable($name, $Variables[$name]) }
        $ps.Runspace = $Runspace
        $null = $ps.AddScript($Script)
        $output = $null
        $terminating = $null
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        try { $output = $ps.Invoke() }
        catch { $terminating = Get-NtErrorRecord $_.Exception }
        $watch.Stop()
        New-NtResult -Output @($output) -Errors @($ps.Streams.Error) -Terminating $terminating -Elapsed $watch.Elapsed `
            -VerboseText @($ps.Streams.Verbose | ForEach-Object { $_.Message }) `
            -WarningText @($ps.Streams.Warning | ForEach-Object { $_.Message }) `
            -DebugText @($ps.Streams.Debug | ForEach-Object { $_.Message }) `
            -InformationText @($ps.Streams.Information | ForEach-Object { [string]$_.MessageData })
    }
    finally {
        $ps.Dispose()
        if ($own) { $Runspace.Dispose() }
    }
}

<#
.SYNOPSIS
The result (as Invoke-NtScript returns it) of an invocation a test drove itself, e.g. with
BeginInvoke() and Stop(): its streams, the exception EndInvoke() threw (if any) and the time.
#>
function Get-NtInvocationResult {
    param(
        [Parameter(Mandatory)] [powershell] $PowerShell,
        [System.Collections.IEnumerable] $Output = @(),
        [System.Exception] $Exception,
        [timespan] $Elapsed = [timespan]::Zero
    )
    $terminating = $null
    if ($null -ne $Exception) { $terminating = Get-NtErrorRecord $Exception }
    $streams = $PowerShell.Streams
    New-NtResult -Output @($Output) -Errors @($streams.Error) -Terminating $terminating -Elapsed $Elapsed `
        -VerboseText @($streams.Verbose | ForEach-Object { $_.Message }) `
        -WarningText @($streams.Warning | ForEach-Object { $_.Message }) `
        -DebugText @($streams.Debug | ForEach-Object { $_.Message }) `
        -InformationText @($streams.Information | ForEach-Object { [string]$_.MessageData })
}

function New-NtResult {
    param($Output, $Errors, $Terminating, $Elapsed, $VerboseText, $WarningText, $DebugText, $InformationText)
    $all = @($Errors | Where-Object { $null -ne $_ })
    if ($null -ne $Terminating) { $all += $Terminating }
    $one = $null
    if ($null -ne $Terminating) { $one = $Terminating } elseif ($all.Count -eq 1) { $one = $all[0] }
    [pscustomobject]@{
        PSTypeName   = 'NativeToken.Test.Result'
        Output       = @($Output)
        Errors       = @($Errors | Where-Object { $null -ne $_ })
        Terminating  = $Terminating
        AllErrors    = $all
        Error        = $one
        Succeeded    = $all.Count -eq 0
        Verbose      = @($VerboseText)
        Warning      = @($WarningText)
        Debug        = @($DebugText)
        Information  = @($InformationText)
        Elapsed      = $Elapsed
    }
}

<#
.SYNOPSIS
Every piece of text a user could see or log from a call: for every error its id, its text,
category, target, error details, and for the exception and each inner one its message, its
ToString() and every Exception.Data entry; and every verbose, warning, debug and information
record. (Output is left out: tokens are output on purpose.)
#>
function Get-NtVisibleText {
    [OutputType([string[]])]
    param([Parameter(Mandatory, Position = 0)] $Result)
    if ($Result.PSObject.Properties['VisibleText']) { return @($Result.VisibleText) }
    foreach ($record in $Result.AllErrors) {
        [string]$record.FullyQualifiedErrorId
        $record.ToString()
        $record.CategoryInfo.ToString()
        [string]$record.TargetObject
        if ($null -ne $record.ErrorDetails) {
            [string]$record.ErrorDetails.Message
            [string]$record.ErrorDetails.RecommendedAction
        }
        for ($e = $record.Exception; $null -ne $e; $e = $e.InnerException) {
            $e.Message
            $e.ToString()
            foreach ($entry in $e.Data.GetEnumerator()) { "$($entry.Key)=$($entry.Value)" }
        }
    }
    $Result.Verbose
    $Result.Warning
    $Result.Debug
    $Result.Information
}

# The password of a PSCredential (a test reads tokens to compare them).
function Get-NtPassword {
    [OutputType([string])]
    param([Parameter(Position = 0)] $Credential)
    if ($Credential -is [psobject]) { $Credential = $Credential.PSObject.BaseObject }
    if ($Credential -isnot [pscredential]) { throw "Expected a PSCredential, got $(if ($null -eq $Credential) { 'null' } else { $Credential.GetType().FullName })." }
    $Credential.GetNetworkCredential().Password
}
