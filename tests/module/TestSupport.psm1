# Helpers for the NativeToken Pester suite (tests/module/*.Tests.ps1).
#
# The module under test is $env:NATIVETOKEN_TEST_MODULE (a .psd1), by default
# <repo>/out/NativeToken/NativeToken.psd1. Every call under test takes the real path: a runspace
# of this pwsh with the module imported -> the native library -> HTTP(S) on loopback to the local
# emulator (target/debug/native-token-emulator, or $env:NATIVETOKEN_EMULATOR).
#
# Kept runnable on Windows PowerShell 5.1 (no ternaries, no ?., no [Environment]::ProcessPath
# without a fallback), although only Linux pwsh runs it here.

Set-StrictMode -Version 3.0

$script:RepoRoot = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, '..', '..'))
$script:OnWindows = [System.IO.Path]::DirectorySeparatorChar -eq '\'
$script:IsDesktop = $PSVersionTable.PSEdition -eq 'Desktop'
# Windows under Wine (scripts/test-windows): the emulator and the proxy are Linux programs, which
# this process starts through Wine (see Start-NtUnixHelper).
$script:UnderWine = $script:OnWindows -and (Test-Path -LiteralPath 'HKLM:\Software\Wine')
$script:ErrorIdSuffix = @{}
$script:StatsClient = $null

# The emulator's TLSPC tenant used when a test does not need a tenant of its own.
$script:DefaultTenant = '2222c771-61f3-11ec-8a47-490a1e43c222'

# ---------------------------------------------------------------------------------------------
# Paths
# ---------------------------------------------------------------------------------------------

function Get-NtRepoRoot {
    [OutputType([string])]
    param()
    $script:RepoRoot
}

function Get-NtTestModulePath {
    [OutputType([string])]
    param()
    if ($env:NATIVETOKEN_TEST_MODULE) {
        return [System.IO.Path]::GetFullPath($env:NATIVETOKEN_TEST_MODULE)
    }
    [System.IO.Path]::Combine($script:RepoRoot, 'out', 'NativeToken', 'NativeToken.psd1')
}

function Get-NtReferenceHelpPath {
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Command)
    # ../shared/reference beside the repository holds the help contract. Where it is absent (the
    # release workflow's runners), the repository's own help source stands in: Help.Tests checks
    # that the two are equal wherever both exist.
    $shared = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($script:RepoRoot, '..', 'shared', 'reference', "$Command.help.md"))
    if ([System.IO.File]::Exists($shared)) { return $shared }
    Get-NtRepositoryHelpPath $Command
}

function Get-NtRepositoryHelpPath {
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Command)
    [System.IO.Path]::Combine($script:RepoRoot, 'powershell', 'help', "$Command.md")
}

# <os>-<arch> as the module names its lib/ folders, and the library's file name there.
function Get-NtPlatform {
    [OutputType([pscustomobject])]
    param()
    $os = 'linux'
    $file = 'libnative_token.so'
    if ($script:OnWindows) { $os = 'win'; $file = 'native_token.dll' }
    elseif ($PSVersionTable.PSVersion.Major -ge 6 -and $IsMacOS) { $os = 'osx'; $file = 'libnative_token.dylib' }
    $arch = 'x64'
    $ri = 'System.Runtime.InteropServices.RuntimeInformation' -as [type]
    if ($null -ne $ri -and [string]$ri::ProcessArchitecture -eq 'Arm64') { $arch = 'arm64' }
    [pscustomobject]@{ Rid = "$os-$arch"; LibraryFile = $file }
}

function Get-NtCrateVersion {
    [OutputType([string])]
    param()
    $text = [System.IO.File]::ReadAllText([System.IO.Path]::Combine($script:RepoRoot, 'Cargo.toml'))
    $match = [regex]::Match($text, '(?ms)^\[package\][^\[]*?^version\s*=\s*"([^"]+)"')
    if (-not $match.Success) { throw 'Cargo.toml has no [package] version.' }
    $match.Groups[1].Value
}

function New-NtTempFolder {
    [OutputType([string])]
    param([string] $Prefix = 'nativetoken-pester')
    $path = [System.IO.Path]::Combine([System.IO.Path]::GetTempPath(), $Prefix + '-' + [guid]::NewGuid().ToString('N'))
    $null = [System.IO.Directory]::CreateDirectory($path)
    $path
}

function Remove-NtTempFolder {
    param([string] $Path)
    if (-not $Path -or -not [System.IO.Directory]::Exists($Path)) { return }
    # A process that was just killed may still hold a file open for a moment (Windows).
    for ($i = 0; $i -lt 20; $i++) {
        try { [System.IO.Directory]::Delete($Path, $true); return }
        catch [System.IO.IOException] { Start-Sleep -Milliseconds 50 }
        catch [System.UnauthorizedAccessException] { Start-Sleep -Milliseconds 50 }
    }
}

# A loopback port nothing listens on (it was free a moment ago).
function Get-NtFreePort {
    [OutputType([int])]
    param()
    $listener = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, 0)
    $listener.Start()
    try { $listener.LocalEndpoint.Port } finally { $listener.Stop() }
}

# ---------------------------------------------------------------------------------------------
# Helper processes: the emulator and the forward proxy
# ---------------------------------------------------------------------------------------------

function Get-NtExecutable {
    param([string] $Override, [string] $Name)
    if ($Override) { return $Override }
    $file = $Name
    if ($script:OnWindows) { $file += '.exe' }
    [System.IO.Path]::Combine($script:RepoRoot, 'target', 'debug', $file)
}

# Starts a helper with stdout and stderr in files of its own folder and waits for `ready` on
# stdout; returns the process, the folder and the `name: value` lines it announced.
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
    [pscustomobject]@{ Process = $process; Announced = $announced; StderrPath = $stderr }
}

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
The emulator's TLSPC token endpoint: HTTP (default) or HTTPS, an optional per-request fault
(?fault=SPEC) and tenant, and optionally another host name for 127.0.0.1 (e.g. localhost).
#>
function Get-NtTlspcEndpoint {
    [OutputType([string])]
    param(
        [Parameter(Mandatory, Position = 0)] $Emulator,
        [string] $Fault,
        [string] $Tenant = $script:DefaultTenant,
        [switch] $Https,
        [string] $HostName
    )
    $base = if ($Https) { $Emulator.HttpsUrl } else { $Emulator.HttpUrl }
    if (-not $base) { throw 'This emulator was started without that listener.' }
    if ($HostName) { $base = $base.Replace('//127.0.0.1:', "//$($HostName):") }
    $endpoint = "$base/v1/oauth2/v2.0/$Tenant/token"
    if ($Fault) { $endpoint += '?fault=' + [uri]::EscapeDataString($Fault) }
    $endpoint
}

# The endpoint as the native library shows it in messages: without the query.
# The host name the HTTPS tests call the emulator by: 127.0.0.1, or localhost under Wine (its
# schannel does not match IP addresses in certificates; the emulator's certificate names both).
function Get-NtTlsHostName {
    [OutputType([string])]
    param()
    if ($script:UnderWine) { return 'localhost' }
    '127.0.0.1'
}

function Get-NtShownUrl {
    [OutputType([string])]
    param([Parameter(Mandatory, Position = 0)] [string] $Url)
    $Url.Split('?')[0]
}

# An HttpClient that never uses a proxy, so that proxy settings made by a test apply to the
# module only, not to the suite's own look at the emulator's statistics.
function Get-NtStatsClient {
    if ($null -eq $script:StatsClient) {
        if ($script:IsDesktop) { Add-Type -AssemblyName System.Net.Http }
        $handler = [System.Net.Http.HttpClientHandler]::new()
        $handler.UseProxy = $false
        $script:StatsClient = [System.Net.Http.HttpClient]::new($handler)
        $script:StatsClient.Timeout = [timespan]::FromSeconds(10)
    }
    $script:StatsClient
}

<#
.SYNOPSIS
Requests the emulator received per route (GET /_emulator/stats), as a hashtable.
#>
function Get-NtEmulatorStats {
    [OutputType([hashtable])]
    param([Parameter(Mandatory, Position = 0)] $Emulator)
    $json = (Get-NtStatsClient).GetStringAsync("$($Emulator.HttpUrl)/_emulator/stats").GetAwaiter().GetResult()
    $stats = @{}
    foreach ($property in (ConvertFrom-Json $json).requests.PSObject.Properties) { $stats[$property.Name] = [long]$property.Value }
    $stats
}

# Requests received on one route ('tlspc', 'armor' or the route as the statistics name it), or
# on every route (-Route all).
function Get-NtRequestCount {
    [OutputType([long])]
    param([Parameter(Mandatory, Position = 0)] $Emulator, [Parameter(Position = 1)] [string] $Route = 'tlspc')
    $stats = Get-NtEmulatorStats $Emulator
    switch ($Route) {
        'tlspc' { return $stats['/v1/oauth2/v2.0/{tenant}/token'] }
        'armor' { return $stats['/auth/token'] }
        'all' { return [long]($stats.Values | Measure-Object -Sum).Sum }
        default { return $stats[$Route] }
    }
}

function Test-NtRequestLine {
    param([string] $Line)
    # Notes (e.g. a failed TLS handshake) and the suite's own statistics requests are not requests under test.
    $Line -notmatch ' note: ' -and $Line -notmatch ' /_emulator/'
}

<#
.SYNOPSIS
The emulator's request log (its --log file) once it holds a line for every request the
statistics counted (waiting up to 5 s).
.DESCRIPTION
The emulator writes a request's line before it answers, so normally this returns at once; a
request that ends without an answer (drop, hang, reset) may be logged a moment later.
#>
function Get-NtEmulatorLog {
    [OutputType([string[]])]
    param([Parameter(Mandatory, Position = 0)] $Emulator)
    $counted = Get-NtRequestCount $Emulator all
    $deadline = [datetime]::UtcNow.AddSeconds(5)
    while ($true) {
        $lines = @(Read-NtSharedFile $Emulator.LogPath)
        if (@($lines | Where-Object { Test-NtRequestLine $_ }).Count -ge $counted -or [datetime]::UtcNow -gt $deadline) {
            return $lines
        }
        Start-Sleep -Milliseconds 20
    }
}

# Everything the emulator logged: the settled --log file and all it wrote on stderr.
function Get-NtEmulatorLogText {
    [OutputType([string[]])]
    param([Parameter(Mandatory, Position = 0)] $Emulator)
    @(Get-NtEmulatorLog $Emulator) + @(Read-NtSharedFile $Emulator.StderrPath)
}

<#
.SYNOPSIS
The TLSPC token requests in the emulator's log: Tenant, Outcome (status or hang/drop), Sub (the
JWT's subject) and Fault, oldest first.
#>
function Get-NtTokenRequest {
    param([Parameter(Mandatory, Position = 0)] $Emulator, [string] $Tenant)
    $pattern = '^\S+ (?<listener>\S+) POST /v1/oauth2/v2\.0/(?<tenant>[^/?\s]+)/token(?:\?\S*)? (?<outcome>\S+) \d+ms(?: sub="(?<sub>(?:[^"\\]|\\.)*)")?(?: fault=(?<fault>\S+))?$'
    foreach ($line in (Get-NtEmulatorLog $Emulator)) {
        $m = [regex]::Match($line, $pattern)
        if (-not $m.Success) { continue }
        if ($Tenant -and $m.Groups['tenant'].Value -ne $Tenant) { continue }
        [pscustomobject]@{
            Listener = $m.Groups['listener'].Value
            Tenant   = $m.Groups['tenant'].Value
            Outcome  = $m.Groups['outcome'].Value
            Sub      = if ($m.Groups['sub'].Success) { $m.Groups['sub'].Value } else { $null }
            Fault    = if ($m.Groups['fault'].Success) { $m.Groups['fault'].Value } else { $null }
            Line     = $line
        }
    }
}

# Waits up to $TimeoutSeconds for a line matching $Pattern in a log file, past its first $Skip
# lines; returns it or $null.
function Wait-NtLogLine {
    param([Parameter(Mandatory)] [string] $Path, [Parameter(Mandatory)] [string] $Pattern, [int] $Skip = 0, [double] $TimeoutSeconds = 5)
    $deadline = [datetime]::UtcNow.AddSeconds($TimeoutSeconds)
    do {
        $hit = @(Read-NtSharedFile $Path | Select-Object -Skip $Skip) -match $Pattern | Select-Object -First 1
        if ($hit) { return $hit }
        Start-Sleep -Milliseconds 20
    } while ([datetime]::UtcNow -lt $deadline)
    $null
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

function Get-NtProxyLog {
    [OutputType([string[]])]
    param([Parameter(Mandatory, Position = 0)] $Proxy)
    @(Read-NtSharedFile $Proxy.LogPath)
}

# ---------------------------------------------------------------------------------------------
# Secrets: JWTs and Armor codes the emulator accepts, unique so they can be searched for
# ---------------------------------------------------------------------------------------------

function ConvertTo-NtBase64Url {
    param([byte[]] $Bytes)
    [Convert]::ToBase64String($Bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_')
}

function Get-NtRandomBytes {
    param([int] $Count)
    $bytes = [byte[]]::new($Count)
    $rng = [System.Security.Cryptography.RandomNumberGenerator]::Create()
    try { $rng.GetBytes($bytes) } finally { $rng.Dispose() }
    , $bytes
}

<#
.SYNOPSIS
A JWT of three base64url parts with the given header and payload texts (random signature).
#>
function New-NtJwtFromParts {
    [OutputType([string])]
    param([Parameter(Mandatory)] [string] $Header, [Parameter(Mandatory)] [string] $Payload)
    $utf8 = [System.Text.UTF8Encoding]::new($false)
    (ConvertTo-NtBase64Url $utf8.GetBytes($Header)) + '.' + (ConvertTo-NtBase64Url $utf8.GetBytes($Payload)) + '.' + (ConvertTo-NtBase64Url (Get-NtRandomBytes 64))
}

<#
.SYNOPSIS
A unique JWT the emulator accepts: it reads alg, exp and sub and does not check the signature.
-ValidFor (default 1 h; negative: already expired) or -Expires gives exp (whole seconds).
#>
function New-NtJwt {
    [OutputType([string])]
    param([string] $Subject = 'svc-nativetoken-tests', [timespan] $ValidFor = [timespan]::FromHours(1), [object] $Expires)
    $now = [datetimeoffset]::UtcNow
    $exp = if ($null -eq $Expires) { $now.Add($ValidFor) } else { [datetimeoffset]$Expires }
    $payload = '{{"sub":"{0}","iss":"{0}","iat":{1},"exp":{2},"jti":"{3}"}}' -f $Subject, $now.ToUnixTimeSeconds(), $exp.ToUnixTimeSeconds(), [guid]::NewGuid().ToString('N')
    New-NtJwtFromParts -Header '{"alg":"RS256","typ":"JWT"}' -Payload $payload
}

<#
.SYNOPSIS
An Armor temporary code: base64 of 32 random bytes with '+' and '/' in it (so a client that
form-encodes or URL-decodes it by mistake breaks it).
#>
function New-NtArmorCode {
    [OutputType([string])]
    param()
    while ($true) {
        $code = [Convert]::ToBase64String((Get-NtRandomBytes 32))
        if ($code.Contains('+') -and $code.Contains('/')) { return $code }
    }
}

# The parts of a secret worth searching for: the value, its percent-encoded form (as in a URL
# or a form body) and, for a JWT, every dot-separated part of 16 characters or more.
function Get-NtSecretFragment {
    [OutputType([string[]])]
    param([Parameter(Mandatory)] [string] $Secret)
    $Secret
    $encoded = [uri]::EscapeDataString($Secret)
    if ($encoded -ne $Secret) { $encoded }
    foreach ($part in $Secret.Split('.')) { if ($part.Length -ge 16 -and $part -ne $Secret) { $part } }
}

<#
.SYNOPSIS
Every text of texts that holds a secret (or a long part of one), with the secret replaced by
<SECRET>, so a failing test can show where it leaked without printing it. Nothing when clean.
#>
function Find-NtSecret {
    [OutputType([string[]])]
    param([AllowNull()] [AllowEmptyCollection()] [string[]] $Text, [AllowNull()] [AllowEmptyCollection()] [string[]] $Secret)
    foreach ($s in @($Secret)) {
        if ([string]::IsNullOrEmpty($s)) { continue }
        foreach ($fragment in (Get-NtSecretFragment $s)) {
            foreach ($t in @($Text)) {
                if ($null -ne $t -and $t.Contains($fragment)) {
                    'a secret leaked into: ' + $t.Replace($fragment, '<SECRET>')
                }
            }
        }
    }
}

# ---------------------------------------------------------------------------------------------
# Running scripts in fresh runspaces with the module imported
# ---------------------------------------------------------------------------------------------

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

# ---------------------------------------------------------------------------------------------
# Running scripts in a fresh pwsh process (settings that must be in the process environment
# before PowerShell starts, and imports that must not touch this process)
# ---------------------------------------------------------------------------------------------

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
        $command = "Import-Module -Name '$($PSCommandPath.Replace("'", "''"))' -ErrorAction Stop; " +
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

# ---------------------------------------------------------------------------------------------
# Error ids
# ---------------------------------------------------------------------------------------------

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

# ---------------------------------------------------------------------------------------------
# A runspace with good sessions, for calls that must fail and change nothing
# ---------------------------------------------------------------------------------------------

<#
.SYNOPSIS
A fresh runspace in which good sessions were begun with marker secrets: a TLSPC session
(New-VcToken -Endpoint -Jwt, a JWT with subject svc-marker, on a tenant of its own) and an Armor
call with $Global:ArmorSession pointing at the emulator. Keeps a snapshot of $VenafiSession.
.DESCRIPTION
Secrets holds the marker JWT and code and the tokens the emulator issued for them. Dispose the
Runspace when done.
#>
function New-NtBaseline {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] $Emulator)
    $tenant = [guid]::NewGuid().ToString()
    $baseline = [pscustomobject]@{
        PSTypeName = 'NativeToken.Test.Baseline'
        Emulator   = $Emulator
        Tenant     = $tenant
        Endpoint   = Get-NtTlspcEndpoint $Emulator -Tenant $tenant
        Jwt        = New-NtJwt -Subject 'svc-marker'
        Code       = New-NtArmorCode
        Runspace   = New-NtRunspace
        Snapshot   = $null
        Secrets    = @()
    }
    $begun = Invoke-NtScript $baseline.Runspace @'
        $NtBaselineToken = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
        $Global:ArmorSession = [pscustomobject]@{ Server = $ArmorServer; ApiVersion = 'v1.0' }
        $NtBaselineArmor = New-ArmorApiToken -Code $Code
        $NtBaselineSession = $VenafiSession
        $NtBaselineArmorSession = $Global:ArmorSession
        $NtBaselineToken.AccessToken.GetNetworkCredential().Password
        $NtBaselineArmor.access_token
        $NtBaselineArmor.id_token
'@ @{ Endpoint = $baseline.Endpoint; Jwt = $baseline.Jwt; Code = $baseline.Code; ArmorServer = $Emulator.HttpUrl }
    if (-not $begun.Succeeded -or $begun.Output.Count -ne 3) {
        $baseline.Runspace.Dispose()
        throw "Beginning the baseline sessions failed: $(@($begun.AllErrors | ForEach-Object { $_.FullyQualifiedErrorId + ': ' + $_.Exception.Message }) -join ' | ')"
    }
    $baseline.Secrets = @($baseline.Jwt, $baseline.Code) + @($begun.Output | ForEach-Object { [string]$_ })
    $baseline.Snapshot = Get-NtBaselineState $baseline
    $baseline
}

# What the baseline runspace holds now: $VenafiSession's values and whether $VenafiSession, its
# Token and $Global:ArmorSession are still the very objects the baseline made.
function Get-NtBaselineState {
    param([Parameter(Mandatory, Position = 0)] $Baseline)
    $state = Invoke-NtScript $Baseline.Runspace @'
        $t = $VenafiSession.Token
        [pscustomobject]@{
            Platform    = $VenafiSession.Platform
            Server      = $VenafiSession.Server
            Endpoint    = $t.Endpoint
            Jwt         = $t.JWT.GetNetworkCredential().Password
            AccessToken = $t.AccessToken.GetNetworkCredential().Password
            Expires     = $t.Expires
            SameObjects = [object]::ReferenceEquals($VenafiSession, $NtBaselineSession) -and
                          [object]::ReferenceEquals($t, $NtBaselineToken) -and
                          [object]::ReferenceEquals($Global:ArmorSession, $NtBaselineArmorSession)
        }
'@
    if (-not $state.Succeeded) { throw "Reading the baseline session failed: $($state.Error.Exception.Message)" }
    $state.Output[0]
}

<#
.SYNOPSIS
How the baseline's session differs from its snapshot (nothing when it is as it was).
#>
function Compare-NtBaseline {
    [OutputType([string[]])]
    param([Parameter(Mandatory, Position = 0)] $Baseline)
    $now = Get-NtBaselineState $Baseline
    foreach ($name in 'Platform', 'Server', 'Endpoint', 'Jwt', 'AccessToken', 'Expires', 'SameObjects') {
        $before = $Baseline.Snapshot.$name
        $after = $now.$name
        if ($before -ne $after) {
            if ($name -in 'Jwt', 'AccessToken') { "$name changed" } else { "$name changed from '$before' to '$after'" }
        }
    }
}

<#
.SYNOPSIS
Refreshes the baseline's script session (bare New-VcToken) and returns the emulator's log entry
of that request: it shows which endpoint (tenant) and which JWT (sub) the module sent.
#>
function Invoke-NtBaselineRefresh {
    param([Parameter(Mandatory, Position = 0)] $Baseline)
    $before = @(Get-NtTokenRequest $Baseline.Emulator -Tenant $Baseline.Tenant).Count
    $refresh = Invoke-NtScript $Baseline.Runspace 'New-VcToken'
    if (-not $refresh.Succeeded) { throw "Refreshing the baseline session failed: $($refresh.Error.FullyQualifiedErrorId): $($refresh.Error.Exception.Message)" }
    $Baseline.Snapshot = Get-NtBaselineState $Baseline
    @(Get-NtTokenRequest $Baseline.Emulator -Tenant $Baseline.Tenant) | Select-Object -Skip $before
}

<#
.SYNOPSIS
Runs a call that must fail in a fresh baseline runspace (New-NtBaseline) and asserts, with
Should, what every failure must keep: the call failed and output nothing; $VenafiSession and
$Global:ArmorSession are the same objects with the same values; no secret (the baseline's
markers, and the call's own Jwt/Code variables of 16 characters or more) is in any record of
the call or in the emulator's log; and the next bare New-VcToken still sends the marker JWT to
the marker endpoint (the native side of the session is unchanged too). Returns the result,
with Requests (how many requests the emulator received during the call) and Endpoint (the
value of the call's $Endpoint).
#>
function Invoke-NtFailingCall {
    [CmdletBinding()]
    param(
        [Parameter(Mandatory, Position = 0)] $Emulator,
        [Parameter(Mandatory, Position = 1)] [string] $Script,
        [Parameter(Position = 2)] [hashtable] $Variables = @{},
        # Another emulator that must not have logged a secret either.
        $Server
    )
    $baseline = New-NtBaseline $Emulator
    try {
        $before = Get-NtRequestCount $Emulator all
        $result = Invoke-NtScript $baseline.Runspace $Script $Variables
        # How many requests the call itself made (every route), before the checks below add theirs.
        $result | Add-Member -NotePropertyName Requests -NotePropertyValue ((Get-NtRequestCount $Emulator all) - $before)
        # The endpoint the call's $Endpoint named: its own, or the baseline's.
        $endpoint = if ($Variables.ContainsKey('Endpoint')) { $Variables['Endpoint'] } else { $baseline.Endpoint }
        $result | Add-Member -NotePropertyName Endpoint -NotePropertyValue $endpoint
        $result.Succeeded | Should -BeFalse -Because 'the call must fail'
        $result.Output | Should -BeNullOrEmpty -Because 'a failed call outputs nothing'
        Compare-NtBaseline $baseline | Should -BeNullOrEmpty -Because 'a failed call leaves $VenafiSession as it was'
        $secrets = @($baseline.Secrets) + @(foreach ($name in 'Jwt', 'Code') {
                if ($Variables.ContainsKey($name) -and $Variables[$name] -is [string] -and $Variables[$name].Length -ge 16) { $Variables[$name] }
            })
        Find-NtSecret (Get-NtVisibleText $result) $secrets | Should -BeNullOrEmpty
        Find-NtSecret (Get-NtEmulatorLogText $Emulator) $secrets | Should -BeNullOrEmpty
        if ($null -ne $Server) { Find-NtSecret (Get-NtEmulatorLogText $Server) $secrets | Should -BeNullOrEmpty }
        $refresh = @(Invoke-NtBaselineRefresh $baseline)
        $refresh.Count | Should -Be 1 -Because 'a refresh after the failure is one request to the marker endpoint'
        $refresh[0].Sub | Should -BeExactly 'svc-marker' -Because 'a refresh after the failure sends the marker JWT'
        $result
    }
    finally { $baseline.Runspace.Dispose() }
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

# ---------------------------------------------------------------------------------------------
# The help contract (platyPS markdown, ../shared/reference/<Command>.help.md)
# ---------------------------------------------------------------------------------------------

# Whitespace collapsed to single spaces, trimmed.
function ConvertTo-NtNormalText {
    [OutputType([string])]
    param([Parameter(Position = 0)] [AllowNull()] [string] $Text)
    if ($null -eq $Text) { return '' }
    ([regex]::Replace($Text, '\s+', ' ')).Trim()
}

# A help file's syntax line as Get-Command shows it: ProgressAction is a common parameter since
# PowerShell 7.4 (folded into [<CommonParameters>]), platyPS wrote it out. Whitespace collapsed.
function ConvertTo-NtHelpSyntax {
    [OutputType([string])]
    param([Parameter(Mandatory, Position = 0)] [AllowEmptyString()] [string] $Syntax)
    ConvertTo-NtNormalText $Syntax.Replace('[-ProgressAction <ActionPreference>]', '')
}

# The items sorted by ordinal comparison (Sort-Object compares culture-aware), as one array.
function Sort-NtOrdinal {
    param([Parameter(Position = 0)] [AllowEmptyCollection()] [string[]] $Items)
    $copy = [string[]]@($Items)
    [array]::Sort($copy, [System.StringComparer]::Ordinal)
    , $copy
}

function Get-NtHelpSection {
    param([string[]] $Lines, [string] $Name)
    $start = [array]::FindIndex($Lines, [Predicate[string]] { param($l) $l.Trim() -eq "## $Name" })
    if ($start -lt 0) { return , @() }
    $section = [System.Collections.Generic.List[string]]::new()
    for ($i = $start + 1; $i -lt $Lines.Count -and -not $Lines[$i].StartsWith('## '); $i++) { $section.Add($Lines[$i]) }
    , $section.ToArray()
}

# The lines of the fenced block opening at $Lines[$Index], and the index of its closing fence.
function Read-NtFencedBlock {
    param([string[]] $Lines, [int] $Index)
    $block = [System.Collections.Generic.List[string]]::new()
    for ($i = $Index + 1; $i -lt $Lines.Count -and -not $Lines[$i].StartsWith('```'); $i++) { $block.Add($Lines[$i]) }
    [pscustomobject]@{ Lines = $block.ToArray(); End = $i }
}

function Join-NtHelpText {
    param([string[]] $Lines)
    ConvertTo-NtNormalText (@($Lines | Where-Object { $_ -and $_.Trim() }) -join ' ')
}

<#
.SYNOPSIS
The parts of a reference help file the tests compare the module with: Synopsis, Description,
Syntax (SetName, IsDefault, Syntax per SYNTAX block), Examples (Title, Code, Remarks),
Parameters (Name, Description, Blocks: one hashtable per yaml block; ProgressAction left out),
Outputs (the ### lines) and Links (URLs).
#>
function Get-NtHelpFile {
    [CmdletBinding()]
    param([Parameter(Mandatory, Position = 0)] [string] $Command)
    $path = Get-NtReferenceHelpPath $Command
    if (-not [System.IO.File]::Exists($path)) { throw "The reference help file $path is missing (shared/reference beside the repository)." }
    $lines = [System.IO.File]::ReadAllLines($path)

    $syntax = [System.Collections.Generic.List[object]]::new()
    $section = Get-NtHelpSection $lines 'SYNTAX'
    $heading = ''
    for ($i = 0; $i -lt $section.Count; $i++) {
        if ($section[$i].StartsWith('### ')) { $heading = $section[$i].Substring(4).Trim() }
        elseif ($section[$i].StartsWith('```')) {
            $block = Read-NtFencedBlock $section $i
            $i = $block.End
            $syntax.Add([pscustomobject]@{
                    SetName   = $heading.Replace('(Default)', '').Trim()
                    IsDefault = $heading.EndsWith('(Default)')
                    Syntax    = $block.Lines -join ' '
                })
        }
    }

    $examples = [System.Collections.Generic.List[object]]::new()
    $section = Get-NtHelpSection $lines 'EXAMPLES'
    for ($i = 0; $i -lt $section.Count; $i++) {
        if (-not $section[$i].StartsWith('### ')) { continue }
        $title = $section[$i].Substring(4).Trim()
        $j = $i + 1
        while ($j -lt $section.Count -and -not $section[$j].StartsWith('```')) { $j++ }
        $block = Read-NtFencedBlock $section $j
        $remarks = [System.Collections.Generic.List[string]]::new()
        for ($j = $block.End + 1; $j -lt $section.Count -and -not $section[$j].StartsWith('### '); $j++) { $remarks.Add($section[$j]) }
        $examples.Add([pscustomobject]@{ Title = $title; Code = ($block.Lines -join "`n").Trim(); Remarks = Join-NtHelpText $remarks.ToArray() })
        $i = $j - 1
    }

    $parameters = [System.Collections.Generic.List[object]]::new()
    $section = Get-NtHelpSection $lines 'PARAMETERS'
    for ($i = 0; $i -lt $section.Count; $i++) {
        if (-not $section[$i].StartsWith('### -')) { continue }
        $name = $section[$i].Substring(5).Trim()
        $description = [System.Collections.Generic.List[string]]::new()
        $blocks = [System.Collections.Generic.List[hashtable]]::new()
        for ($j = $i + 1; $j -lt $section.Count -and -not $section[$j].StartsWith('### '); $j++) {
            if ($section[$j].StartsWith('```')) {
                $block = Read-NtFencedBlock $section $j
                $j = $block.End
                $yaml = @{}
                foreach ($line in $block.Lines) {
                    $colon = $line.IndexOf(':')
                    if ($colon -gt 0) { $yaml[$line.Substring(0, $colon).Trim()] = $line.Substring($colon + 1).Trim() }
                }
                $blocks.Add($yaml)
            }
            elseif ($blocks.Count -eq 0) { $description.Add($section[$j]) }
        }
        if ($name -ne 'ProgressAction') {
            $parameters.Add([pscustomobject]@{ Name = $name; Description = Join-NtHelpText $description.ToArray(); Blocks = $blocks.ToArray() })
        }
        $i = $j - 1
    }

    [pscustomobject]@{
        Command     = $Command
        Synopsis    = Join-NtHelpText (Get-NtHelpSection $lines 'SYNOPSIS')
        Description = Join-NtHelpText (Get-NtHelpSection $lines 'DESCRIPTION')
        Syntax      = $syntax.ToArray()
        Examples    = $examples.ToArray()
        Parameters  = $parameters.ToArray()
        Outputs     = @(Get-NtHelpSection $lines 'OUTPUTS' | Where-Object { $_.StartsWith('###') } | ForEach-Object { $_.TrimStart('#').Trim() })
        Links       = @(Get-NtHelpSection $lines 'RELATED LINKS' | ForEach-Object { [regex]::Matches($_, '\((https?://[^)\s]+)\)') } | ForEach-Object { $_.Groups[1].Value })
    }
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

Export-ModuleMember -Function @(
    'Get-NtRepoRoot', 'Get-NtTestModulePath', 'Get-NtReferenceHelpPath', 'Get-NtRepositoryHelpPath', 'Get-NtPlatform', 'Get-NtCrateVersion',
    'New-NtTempFolder', 'Remove-NtTempFolder', 'Get-NtFreePort',
    'Start-NtEmulator', 'Stop-NtEmulator', 'Get-NtTlspcEndpoint', 'Get-NtTlsHostName', 'Add-NtWindowsTrust', 'Remove-NtWindowsTrust', 'Get-NtShownUrl', 'Get-NtEmulatorStats', 'Get-NtRequestCount',
    'Get-NtEmulatorLog', 'Get-NtEmulatorLogText', 'Get-NtTokenRequest', 'Wait-NtLogLine',
    'Start-NtProxy', 'Stop-NtProxy', 'Get-NtProxyLog',
    'New-NtJwt', 'New-NtJwtFromParts', 'New-NtArmorCode', 'Get-NtSecretFragment', 'Find-NtSecret',
    'New-NtRunspace', 'Invoke-NtScript', 'Get-NtInvocationResult', 'Get-NtVisibleText', 'Get-NtPassword',
    'Invoke-NtProcess', 'Invoke-NtProcessRequest',
    'Get-ExpectedErrorId',
    'New-NtBaseline', 'Get-NtBaselineState', 'Compare-NtBaseline', 'Invoke-NtBaselineRefresh', 'Invoke-NtFailingCall',
    'Get-NtHttpExceptionType', 'Get-NtRequestError', 'Get-NtHttpStatus',
    'ConvertTo-NtNormalText', 'ConvertTo-NtHelpSyntax', 'Sort-NtOrdinal', 'Get-NtHelpFile'
)
