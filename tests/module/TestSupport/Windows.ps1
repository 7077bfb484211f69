# Windows specifics: Linux helpers started from Windows under Wine, and trusting a CA in the
# Windows Root store.

# ---------------------------------------------------------------------------------------------
# Linux helpers from Windows under Wine
#
# Wine starts a Linux executable when a Windows program asks for one (CreateProcess of an ELF
# file), but hands back no process the program can watch or end: Start-Process fails to find it
# and Process.HasExited / Kill() do not reach it. So a helper starts through /bin/sh, which writes
# its Linux process id to a file and then becomes the helper (exec: same id), with stdout and
# stderr in files; the helper is watched through /proc/<id> and ended with /bin/kill. Paths it is
# given are Linux paths (a drive X: is $WINEPREFIX/dosdevices/x:), and paths it announces are
# read back as Z:\... (Wine's Z: is /).
# ---------------------------------------------------------------------------------------------

function ConvertTo-NtUnixPath {
    [OutputType([string])]
    param([Parameter(Mandatory, Position = 0)] [string] $Path)
    if ($Path -notmatch '^([A-Za-z]):\\(.*)$') { return $Path }
    $drive = $Matches[1].ToLowerInvariant()
    $rest = $Matches[2].Replace('\', '/')
    if ($drive -eq 'z') { return '/' + $rest }
    if (-not $env:WINEPREFIX) { throw "Cannot give the Linux path of $Path without WINEPREFIX (scripts/test-windows sets it)." }
    $env:WINEPREFIX.TrimEnd('/') + '/dosdevices/' + $drive + ':/' + $rest
}

function ConvertFrom-NtUnixPath {
    [OutputType([string])]
    param([Parameter(Mandatory, Position = 0)] [string] $Path)
    if (-not $Path.StartsWith('/')) { return $Path }
    'Z:' + $Path.Replace('/', '\')
}

# Whether Linux process $Id runs (a zombie, ended but not yet reaped, does not).
function Test-NtUnixProcess {
    [OutputType([bool])]
    param([Parameter(Mandatory)] [int] $Id)
    $stat = "Z:\proc\$Id\stat"
    try { $text = [System.IO.File]::ReadAllText($stat) }
    catch { return $false }
    # "<pid> (<name>) <state> ...": the state follows the last ')'.
    $state = $text.Substring($text.LastIndexOf(')') + 2, 1)
    $state -ne 'Z' -and $state -ne 'X'
}

# Starts Linux program $Path with stdout and stderr in files; returns an object with HasExited,
# Kill() and Dispose() (what Stop-NtHelperProcess uses of a Process).
function Start-NtUnixHelper {
    param([string] $Path, [string[]] $ArgumentList, [string] $Folder, [string] $Stdout, [string] $Stderr)
    $pidFile = [System.IO.Path]::Combine($Folder, 'pid.txt')
    $info = [System.Diagnostics.ProcessStartInfo]::new('/bin/sh')
    $info.UseShellExecute = $false
    foreach ($argument in @(
            '-c', 'echo $$ >"$0"; out=$1; err=$2; shift 2; exec "$@" >"$out" 2>"$err" </dev/null',
            (ConvertTo-NtUnixPath $pidFile), (ConvertTo-NtUnixPath $Stdout), (ConvertTo-NtUnixPath $Stderr), (ConvertTo-NtUnixPath $Path)) +
        @($ArgumentList | ForEach-Object { ConvertTo-NtUnixPath $_ })) {
        $info.ArgumentList.Add($argument)
    }
    # What comes back is no handle on the Linux process (see above): drop it.
    try { $null = [System.Diagnostics.Process]::Start($info) } catch { $null = $_ }
    $deadline = [datetime]::UtcNow.AddSeconds(30)
    while (-not [System.IO.File]::Exists($pidFile) -or -not ([System.IO.File]::ReadAllText($pidFile).Trim() -match '^\d+$')) {
        if ([datetime]::UtcNow -gt $deadline) { throw "/bin/sh did not start $Path within 30 s (no $pidFile)." }
        Start-Sleep -Milliseconds 10
    }
    $process = [pscustomobject]@{ PSTypeName = 'NativeToken.Test.UnixProcess'; Id = [int]$Matches[0] }
    $process | Add-Member -MemberType ScriptProperty -Name HasExited -Value { -not (Test-NtUnixProcess -Id $this.Id) }
    $process | Add-Member -MemberType ScriptMethod -Name Kill -Value {
        $kill = [System.Diagnostics.ProcessStartInfo]::new('/bin/kill')
        $kill.UseShellExecute = $false
        $kill.ArgumentList.Add('-KILL')
        $kill.ArgumentList.Add([string]$this.Id)
        try { $null = [System.Diagnostics.Process]::Start($kill) } catch { $null = $_ }
    }
    $process | Add-Member -MemberType ScriptMethod -Name WaitForExit -Value {
        param([int] $Milliseconds)
        $until = [datetime]::UtcNow.AddMilliseconds($Milliseconds)
        while (-not $this.HasExited) {
            if ([datetime]::UtcNow -gt $until) { return $false }
            Start-Sleep -Milliseconds 10
        }
        $true
    }
    $process | Add-Member -MemberType ScriptMethod -Name Dispose -Value { }
    $process
}

<#
.SYNOPSIS
Windows only: trusts a CA the way a Windows user does, in the Root certificate store (schannel,
and so the library and .NET's own requests, read it; SSL_CERT_FILE is for the library alone).
Under Wine the store is CurrentUser\Root (its certutil is a stub, Import-Certificate is missing;
.NET's X509Store works); on real Windows adding to CurrentUser\Root asks the user in a dialog, so
there it is LocalMachine\Root (the release workflow's runners are administrators). Returns the
certificate, for Remove-NtWindowsTrust; elsewhere does nothing and returns $null.
#>
function Add-NtWindowsTrust {
    param([Parameter(Mandatory, Position = 0)] [string] $CertPath)
    if (-not $script:OnWindows) { return $null }
    $ca = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($CertPath)
    Use-NtRootStore { param($store) $store.Add($ca) }
    $ca
}

<#
.SYNOPSIS
Takes a CA added by Add-NtWindowsTrust out of the Root store again. Wine's X509Store.Remove takes
it out of the open store but not out of the registry behind CurrentUser\Root, so a new process
would still trust it: there the registry entry goes too.
#>
function Remove-NtWindowsTrust {
    param([Parameter(Position = 0)] $Certificate)
    if ($null -eq $Certificate) { return }
    Use-NtRootStore { param($store) $store.Remove($Certificate) }
    if ($script:UnderWine) {
        Remove-Item -LiteralPath "HKCU:\Software\Microsoft\SystemCertificates\Root\Certificates\$($Certificate.Thumbprint)" -Recurse -ErrorAction SilentlyContinue
    }
}

# Runs $Change with the Root store that Add-NtWindowsTrust uses, open for writing.
function Use-NtRootStore([scriptblock] $Change) {
    $location = if ($script:UnderWine) { 'CurrentUser' } else { 'LocalMachine' }
    $store = [System.Security.Cryptography.X509Certificates.X509Store]::new('Root', $location)
    $store.Open('ReadWrite')
    try { & $Change $store } finally { $store.Close() }
}
