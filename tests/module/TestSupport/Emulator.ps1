# What the tests read from the emulator and the proxy: token endpoints, request statistics and
# the request logs.

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

# The host name the HTTPS tests call the emulator by: 127.0.0.1, or localhost under Wine (its
# schannel does not match IP addresses in certificates; the emulator's certificate names both).
function Get-NtTlsHostName {
    [OutputType([string])]
    param()
    if ($script:UnderWine) { return 'localhost' }
    '127.0.0.1'
}

# The endpoint as the native library shows it in messages: without the query.
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

function Get-NtProxyLog {
    [OutputType([string[]])]
    param([Parameter(Mandatory, Position = 0)] $Proxy)
    @(Read-NtSharedFile $Proxy.LogPath)
}
