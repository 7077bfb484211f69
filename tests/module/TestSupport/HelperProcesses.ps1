# The one launcher of the loopback helpers (native-token-emulator, native-token-proxy,
# native-token-relay) for PowerShell: Start-NtHelperProcess starts one with stdout and stderr in
# files and waits for its `ready` announcement; Start-NtEmulator, Start-NtProxy and Start-NtRelay
# (the Pester suite and tests/bench) go through it, and Stop-NtHelperProcess ends any of them.

function Get-NtExecutable {
    param([string] $Override, [string] $Name)
    if ($Override) { return $Override }
    $file = $Name
    if ($script:OnWindows) { $file += '.exe' }
    [System.IO.Path]::Combine($script:RepoRoot, 'target', 'debug', $file)
}

# Starts a helper with stdout and stderr in files of its own folder and waits for `ready` on
# stdout; returns the process, the `name: value` lines it announced (Announced: the last of each
# name; Lines: all, for a helper that announces a name more than once) and its stderr file.
function Start-NtHelperProcess {
    param([string] $Path, [string[]] $ArgumentList, [string] $Folder, [string] $What)
    if (-not [System.IO.File]::Exists($Path)) {
        throw "The $What $Path does not exist; build it first (cd $script:RepoRoot && scripts/cargo build -p native-token-emulator)."
    }
    $stdout = [System.IO.Path]::Combine($Folder, 'stdout.txt')
    $stderr = [System.IO.Path]::Combine($Folder, 'stderr.txt')
    # Files, not pipes: the OS writes them as the helper prints, so nothing here has to drain
    # them and a line is on disk as soon as the helper wrote it.
    if ($script:UnderWine) {
        $process = Start-NtUnixHelper -Path $Path -ArgumentList $ArgumentList -Folder $Folder -Stdout $stdout -Stderr $stderr
    }
    else {
        # Start-Process joins the arguments with spaces as they are: quote those that hold one.
        $quoted = @($ArgumentList | ForEach-Object { if ($_ -match '\s') { '"' + $_ + '"' } else { $_ } })
        $process = Start-Process -FilePath $Path -ArgumentList $quoted -RedirectStandardOutput $stdout `
            -RedirectStandardError $stderr -NoNewWindow -PassThru
    }
    $deadline = [datetime]::UtcNow.AddSeconds(30)
    $announced = @{}
    while ($true) {
        $lines = @(Read-NtSharedFile $stdout)
        if ($lines -contains 'ready') {
            foreach ($line in $lines) {
                $colon = $line.IndexOf(': ')
                if ($colon -gt 0) { $announced[$line.Substring(0, $colon)] = $line.Substring($colon + 2).Trim() }
            }
            break
        }
        if ($process.HasExited -or [datetime]::UtcNow -gt $deadline) {
            $state = if ($process.HasExited) { 'exited' } else { "did not print 'ready' within 30 s" }
            if (-not $process.HasExited) { $process.Kill() }
            throw "The $What $state. stderr: $((Read-NtSharedFile $stderr) -join [Environment]::NewLine)"
        }
        Start-Sleep -Milliseconds 10
    }
    [pscustomobject]@{ Process = $process; Announced = $announced; Lines = $lines; StderrPath = $stderr }
}

# Lines of a file another process may be writing.
function Read-NtSharedFile {
    [OutputType([string[]])]
    param([string] $Path)
    if (-not [System.IO.File]::Exists($Path)) { return }
    $stream = [System.IO.File]::Open($Path, 'Open', 'Read', 'ReadWrite, Delete')
    try {
        $reader = [System.IO.StreamReader]::new($stream, [System.Text.Encoding]::UTF8)
        $text = $reader.ReadToEnd()
    }
    finally { $stream.Dispose() }
    $text -split '\r?\n' | Where-Object { $_ -ne '' }
}

<#
.SYNOPSIS
Starts native-token-emulator on loopback (HTTP and HTTPS, its certificate written to its folder)
with its request log in a file; returns its URLs, certificate and log paths.
#>
function Start-NtEmulator {
    [CmdletBinding()]
    param([string[]] $ArgumentList = @())
    $folder = New-NtTempFolder -Prefix 'nativetoken-emulator'
    $log = [System.IO.Path]::Combine($folder, 'requests.log')
    $cert = [System.IO.Path]::Combine($folder, 'cert.pem')
    $path = Get-NtExecutable -Override $env:NATIVETOKEN_EMULATOR -Name 'native-token-emulator'
    try {
        $started = Start-NtHelperProcess -Path $path -ArgumentList (@($ArgumentList) + @('--log', $log, '--cert-out', $cert)) -Folder $folder -What 'emulator'
    }
    catch { Remove-NtTempFolder $folder; throw }
    $http = $started.Announced['http']
    $https = $started.Announced['https']
    # Wine's schannel does not match IP addresses in certificates: call the HTTPS listener by the
    # certificate's name there.
    if ($https -and $script:UnderWine) { $https = $https.Replace('//127.0.0.1:', '//localhost:') }
    $httpsPort = $null
    if ($https) { $httpsPort = ([uri]$https).Port }
    [pscustomobject]@{
        PSTypeName = 'NativeToken.Test.Emulator'
        Process    = $started.Process
        HttpUrl    = $http
        HttpsUrl   = $https
        HttpsPort  = $httpsPort
        CertPath   = if ($started.Announced['cert'] -and $script:UnderWine) { ConvertFrom-NtUnixPath $started.Announced['cert'] } else { $started.Announced['cert'] }
        LogPath    = $log
        StderrPath = $started.StderrPath
        Folder     = $folder
    }
}

function Stop-NtHelperProcess {
    param($Helper)
    if ($null -eq $Helper) { return }
    $process = $Helper.Process
    if (-not $process.HasExited) {
        $process.Kill()
        $null = $process.WaitForExit(10000)
    }
    $process.Dispose()
    Remove-NtTempFolder $Helper.Folder
}

function Stop-NtEmulator {
    param([Parameter(Position = 0)] $Emulator)
    Stop-NtHelperProcess $Emulator
}

<#
.SYNOPSIS
Starts native-token-proxy, the forward HTTP proxy for the proxy tests (CONNECT and absolute-form
requests, one log line per proxied request, 502 when the upstream cannot be reached).
#>
function Start-NtProxy {
    [CmdletBinding()]
    param()
    $folder = New-NtTempFolder -Prefix 'nativetoken-proxy'
    $log = [System.IO.Path]::Combine($folder, 'proxy.log')
    $path = Get-NtExecutable -Override $env:NATIVETOKEN_PROXY -Name 'native-token-proxy'
    try { $started = Start-NtHelperProcess -Path $path -ArgumentList @('--log', $log) -Folder $folder -What 'proxy' }
    catch { Remove-NtTempFolder $folder; throw }
    $url = $started.Announced['proxy']
    [pscustomobject]@{
        PSTypeName = 'NativeToken.Test.Proxy'
        Process    = $started.Process
        Url        = $url
        Authority  = ([uri]$url).Authority
        LogPath    = $log
        StderrPath = $started.StderrPath
        Folder     = $folder
    }
}

function Stop-NtProxy {
    param([Parameter(Position = 0)] $Proxy)
    Stop-NtHelperProcess $Proxy
}

<#
.SYNOPSIS
Starts native-token-relay: a delay line of RttMs / 2 each way in front of Upstream (host:port),
with Listeners listening ports (a port not used before costs a new connection). Returns its
process and ports; tests/bench uses it for the WAN lines (-Path: its release build).
#>
function Start-NtRelay {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory)] [int] $RttMs,
        [Parameter(Mandatory)] [string] $Upstream,
        [int] $Listeners = 1,
        [string] $Path = (Get-NtExecutable -Name 'native-token-relay')
    )
    $folder = New-NtTempFolder -Prefix 'nativetoken-relay'
    $arguments = @('--rtt-ms', "$RttMs", '--upstream', $Upstream, '--listeners', "$Listeners")
    try { $started = Start-NtHelperProcess -Path $Path -ArgumentList $arguments -Folder $folder -What 'relay' }
    catch { Remove-NtTempFolder $folder; throw }
    $ports = @($started.Lines | Where-Object { $_ -match '^relay: ' } | ForEach-Object { [int]($_ -replace '^relay: 127\.0\.0\.1:', '') })
    [pscustomobject]@{ PSTypeName = 'NativeToken.Test.Relay'; Process = $started.Process; Ports = $ports; StderrPath = $started.StderrPath; Folder = $folder }
}

function Stop-NtRelay {
    param([Parameter(Position = 0)] $Relay)
    Stop-NtHelperProcess $Relay
}
