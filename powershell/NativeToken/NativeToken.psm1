# NativeToken: New-VcToken and New-ArmorApiToken over the native_token C ABI (docs/ABI.md).
#
# The native functions are bound once, at import, with Reflection.Emit (DefinePInvokeMethod):
# no Add-Type, no compiler. The hot path of each function is written inline (no helper calls,
# no pipelines, no cmdlets): a PowerShell function call costs more than the P/Invoke itself.
# Helpers are used only on error paths and at import.

# ---------------------------------------------------------------------------------------------
# Native library: pick lib/<os>-<arch>/<file> for this process.
# ---------------------------------------------------------------------------------------------

function Get-NtLibraryPath {
    $os = $null
    $arch = $null
    $riType = 'System.Runtime.InteropServices.RuntimeInformation' -as [type]
    if ($null -ne $riType) {
        $platform = [System.Runtime.InteropServices.OSPlatform]
        if ($riType::IsOSPlatform($platform::Windows)) { $os = 'win' }
        elseif ($riType::IsOSPlatform($platform::Linux)) { $os = 'linux' }
        elseif ($riType::IsOSPlatform($platform::OSX)) { $os = 'osx' }
        $pa = [string]$riType::ProcessArchitecture
        if ($pa -eq 'X64') { $arch = 'x64' }
        elseif ($pa -eq 'Arm64') { $arch = 'arm64' }
        else { $arch = $pa.ToLowerInvariant() }
    }
    else {
        # Windows PowerShell 5.1 on .NET Framework before 4.7.1: Windows only, and $IsWindows is absent.
        $os = 'win'
        $pa = [string]$env:PROCESSOR_ARCHITECTURE
        if ($pa -eq 'AMD64') { $arch = 'x64' }
        elseif ($pa -eq 'ARM64') { $arch = 'arm64' }
        else { $arch = $pa.ToLowerInvariant() }
    }
    if ($null -eq $os) {
        throw [System.PlatformNotSupportedException]::new(
            "NativeToken: this operating system is not supported (the module ships native libraries for Windows, Linux and macOS only): $([System.Environment]::OSVersion.VersionString).")
    }
    if ($arch -ne 'x64' -and $arch -ne 'arm64') {
        throw [System.PlatformNotSupportedException]::new(
            "NativeToken: the process architecture '$arch' is not supported (only x64 and arm64 are); run a 64-bit PowerShell.")
    }
    $file = if ($os -eq 'win') { 'native_token.dll' } elseif ($os -eq 'osx') { 'libnative_token.dylib' } else { 'libnative_token.so' }
    $rid = "$os-$arch"
    $path = [System.IO.Path]::GetFullPath([System.IO.Path]::Combine($PSScriptRoot, 'lib', $rid, $file))
    if (-not [System.IO.File]::Exists($path)) {
        throw [System.IO.FileNotFoundException]::new(
            "NativeToken: the native library for $rid is missing. Expected it at '$path'. Build it with 'cargo build --release -p native_token' and copy $file from target/release into that folder.",
            $path)
    }
    $path
}

# ---------------------------------------------------------------------------------------------
# P/Invoke binding without Add-Type.
# ---------------------------------------------------------------------------------------------

# Bump when the set or the signatures of the bound functions change: the emitted type is shared
# by every import of the same module version and library in this process.
$script:BindingLayout = 4

function New-NtInteropType {
    param([string] $LibraryPath)

    # Inputs: const uint8_t* -> byte[] (pinned; UTF-8 bytes) with size_t -> UIntPtr.
    # Out-pointers (T* written by the callee) -> one-element T[] marked [Out]: a blittable array
    # is pinned and passed as the address of its first element, so the callee writes straight
    # into it. PowerShell calls such a method through its fast binder; a [ref] argument sends
    # every call through reflection instead, which costs more than the native call itself.
    $bytes = [byte[]]
    $size = [UIntPtr]
    $ptr = [IntPtr]
    $u32 = [uint32]
    $outPtr = [IntPtr[]]
    $outSize = [UIntPtr[]]
    $outU32 = [uint32[]]
    $outU16 = [uint16[]]
    $outI64 = [long[]]

    # name, return type (nt_result is uint32_t), parameter types. Only what this module calls.
    $signatures = @(
        @('nt_result_name', $ptr, @($u32)),
        @('nt_error_take_last', $ptr, @()),
        @('nt_error_kind', $u32, @($ptr, $outU32)),
        @('nt_error_http_status', $u32, @($ptr, $outU16)),
        @('nt_error_message', $u32, @($ptr, $outPtr, $outSize)),
        @('nt_error_trace', $u32, @($ptr, $outPtr, $outSize)),
        @('nt_error_free', $u32, @($ptr)),
        @('nt_vc_token_fetch', $u32, @($bytes, $size, $bytes, $size, $u32, $outPtr)),
        @('nt_vc_session_begin', $u32, @($bytes, $size, $bytes, $size, $u32, $outPtr)),
        @('nt_armor_session_begin', $u32, @($bytes, $size, $bytes, $size, $bytes, $size, $u32, $outPtr)),
        @('nt_token_access_token', $u32, @($ptr, $outPtr, $outSize)),
        @('nt_token_token_type', $u32, @($ptr, $outPtr, $outSize)),
        @('nt_token_id_token', $u32, @($ptr, $outPtr, $outSize)),
        @('nt_token_trace', $u32, @($ptr, $outPtr, $outSize)),
        @('nt_token_expires_in', $u32, @($ptr, $outI64)),
        @('nt_token_expires_at_unix_ms', $u32, @($ptr, $outI64)),
        @('nt_token_free', $u32, @($ptr))
    )

    $name = 'NativeToken.Interop.L' + $script:BindingLayout
    $assembly = [System.Reflection.Emit.AssemblyBuilder]::DefineDynamicAssembly(
        [System.Reflection.AssemblyName]::new($name), [System.Reflection.Emit.AssemblyBuilderAccess]::Run)
    $module = $assembly.DefineDynamicModule($name)
    $builder = $module.DefineType('NativeToken.Interop.NativeMethods', [System.Reflection.TypeAttributes]'Public, Abstract, Sealed')
    $attributes = [System.Reflection.MethodAttributes]'Public, Static, PinvokeImpl'
    $standard = [System.Reflection.CallingConventions]::Standard
    $cdecl = [System.Runtime.InteropServices.CallingConvention]::Cdecl
    $ansi = [System.Runtime.InteropServices.CharSet]::Ansi
    $preserveSig = [System.Reflection.MethodImplAttributes]::PreserveSig
    $out = [System.Reflection.ParameterAttributes]::Out
    foreach ($s in $signatures) {
        $types = [type[]]$s[2]
        $method = $builder.DefinePInvokeMethod($s[0], $LibraryPath, $attributes, $standard, $s[1], $types, $cdecl, $ansi)
        # CoreCLR does not set PreserveSig here; without it every return value reads as 0.
        $method.SetImplementationFlags($method.GetMethodImplementationFlags() -bor $preserveSig)
        for ($i = 0; $i -lt $types.Length; $i++) {
            if ($types[$i].IsArray -and $types[$i] -ne $bytes) { $null = $method.DefineParameter($i + 1, $out, $null) }
        }
    }
    $builder.CreateType()
}

$script:LibraryPath = Get-NtLibraryPath
$cacheKey = 'NativeToken.Interop|' + $script:BindingLayout + '|' + $script:LibraryPath
$script:NT = [System.AppDomain]::CurrentDomain.GetData($cacheKey) -as [type]
if ($null -eq $script:NT) {
    $script:NT = New-NtInteropType -LibraryPath $script:LibraryPath
    [System.AppDomain]::CurrentDomain.SetData($cacheKey, $script:NT)
}
$cacheKey = $null

# Marshal.PtrToStringUTF8 is missing on .NET Framework (Windows PowerShell 5.1).
$script:HasPtrToStringUtf8 = $null -ne [System.Runtime.InteropServices.Marshal].GetMethod('PtrToStringUTF8', [type[]]@([IntPtr], [int]))

# Constants of the hot paths.
$script:Utf8 = [System.Text.UTF8Encoding]::new($false)
$script:ZeroSize = [UIntPtr]::Zero
$script:GrantTypeBytes = $script:Utf8.GetBytes('authorization_code')
$script:SilentlyContinue = [System.Management.Automation.ActionPreference]::SilentlyContinue

# The native session store is process-wide, but a script session belongs to one runspace (each
# has its own module instance): so every call sends its own session's endpoint and JWT, and
# never asks the store to refresh whatever session another runspace put there last.

# Exported. Scripts read the current TLSPC session here.
$script:VenafiSession = $null

# Armor base URL -> its UTF-8 bytes (not secret), so repeated calls skip the encoding.
$script:ArmorBaseText = $null
$script:ArmorBaseBytes = $null

# ---------------------------------------------------------------------------------------------
# Timeout: $env:NATIVETOKEN_TIMEOUT_SEC, read on every call and passed to the library. On Linux
# and macOS a variable set with $env: inside PowerShell never reaches the process environment
# that native code reads, so the module hands the value over itself.
# ---------------------------------------------------------------------------------------------

# Seconds as text -> whole milliseconds for the native call; 0 (the library's default, 30 s)
# for anything that is not a positive number.
function ConvertTo-NtTimeoutMs {
    param([string] $Seconds)
    $value = 0.0
    if (-not [double]::TryParse($Seconds, [System.Globalization.NumberStyles]::Float, [cultureinfo]::InvariantCulture, [ref]$value) -or
        -not ($value -gt 0)) { return [uint32]0 }
    [uint32][math]::Min([math]::Ceiling($value * 1000), [uint32]::MaxValue)
}

# ---------------------------------------------------------------------------------------------
# Error helpers (error paths only).
# ---------------------------------------------------------------------------------------------

function Read-NtUtf8 {
    param([IntPtr] $Pointer, [UIntPtr] $Length)
    $n = [int]$Length.ToUInt32()
    if ($n -eq 0 -or $Pointer -eq [IntPtr]::Zero) { return '' }
    if ($script:HasPtrToStringUtf8) { return [System.Runtime.InteropServices.Marshal]::PtrToStringUTF8($Pointer, $n) }
    # Windows PowerShell 5.1: copy, decode, and zero the copy (it may hold a token).
    $buffer = [byte[]]::new($n)
    [System.Runtime.InteropServices.Marshal]::Copy($Pointer, $buffer, 0, $n)
    $text = $script:Utf8.GetString($buffer)
    [System.Array]::Clear($buffer, 0, $n)
    $text
}

function Get-NtResultName {
    param([uint32] $Result)
    $p = $script:NT::nt_result_name($Result)
    if ($p -eq [IntPtr]::Zero) { return 'Unknown' }
    [System.Runtime.InteropServices.Marshal]::PtrToStringAnsi($p)
}

# Hides the user-info part of a URL (user:password@) in messages.
function Get-NtDisplayUrl {
    param([string] $Url)
    $u = $null
    if ([System.Uri]::TryCreate($Url, [System.UriKind]::Absolute, [ref]$u) -and $u.UserInfo) {
        $b = [System.UriBuilder]::new($u)
        $b.UserName = ''
        $b.Password = ''
        return $b.Uri.AbsoluteUri
    }
    $Url
}

function Write-NtTrace {
    param($Cmdlet, [string] $Trace)
    if (-not $Trace) { return }
    foreach ($line in $Trace.Split([char[]]"`r`n", [System.StringSplitOptions]::RemoveEmptyEntries)) {
        $Cmdlet.WriteVerbose('native: ' + $line)
    }
}

# An ErrorRecord for a problem found in script (missing session, bad argument).
function New-NtArgumentError {
    param([string] $Message, [string] $Id, $Target, [string] $Kind = 'InvalidArgument')
    $exception = [System.ArgumentException]::new($Message)
    $exception.Data['NativeTokenErrorKind'] = $Kind
    [System.Management.Automation.ErrorRecord]::new(
        $exception, 'NativeToken.' + $Id, [System.Management.Automation.ErrorCategory]::InvalidArgument, $Target)
}

# Takes the native library's last error (kind, HTTP status, message, trace), frees it and turns
# it into an ErrorRecord: exception type and category by kind, FullyQualifiedErrorId
# NativeToken.<Kind>, TargetObject the URL (never a secret), kind and status in Exception.Data.
function New-NtNativeError {
    param($Cmdlet, [uint32] $Result, [string] $Target, [bool] $Verbose)

    $NT = $script:NT
    $kind = $Result
    $status = 0
    $message = $null
    $trace = $null
    $e = $NT::nt_error_take_last()
    if ($e -ne [IntPtr]::Zero) {
        try {
            $k = [uint32[]]::new(1)
            if ($NT::nt_error_kind($e, $k) -eq 0) { $kind = $k[0] }
            $s = [uint16[]]::new(1)
            if ($NT::nt_error_http_status($e, $s) -eq 0) { $status = [int]$s[0] }
            $p = [IntPtr[]]::new(1)
            $n = [UIntPtr[]]::new(1)
            if ($NT::nt_error_message($e, $p, $n) -eq 0) { $message = Read-NtUtf8 $p[0] $n[0] }
            if ($NT::nt_error_trace($e, $p, $n) -eq 0) { $trace = Read-NtUtf8 $p[0] $n[0] }
        }
        finally {
            $null = $NT::nt_error_free($e)
        }
    }
    $name = Get-NtResultName $kind
    if (-not $message) { $message = "The native token library failed with $name ($kind)." }
    if ($Verbose) { Write-NtTrace $Cmdlet $trace }

    $category = [System.Management.Automation.ErrorCategory]::InvalidOperation
    $exception = $null
    switch ($name) {
        { $_ -in 'InvalidArgument', 'InvalidUrl', 'InsecureUrl', 'MalformedJwt', 'ExpiredJwt' } {
            $exception = [System.ArgumentException]::new($message)
            $category = [System.Management.Automation.ErrorCategory]::InvalidArgument
            break
        }
        'Timeout' {
            $exception = [System.TimeoutException]::new($message)
            $category = [System.Management.Automation.ErrorCategory]::OperationTimeout
            break
        }
        { $_ -in 'HttpStatus', 'ConnectFailed', 'DnsFailed', 'ConnectionReset', 'TlsFailed' } {
            $exception = New-NtHttpException $name $message $status
            $category = if ($name -eq 'TlsFailed') { [System.Management.Automation.ErrorCategory]::SecurityError }
            elseif ($name -ne 'HttpStatus') { [System.Management.Automation.ErrorCategory]::ConnectionError }
            elseif ($status -eq 401 -or $status -eq 403) { [System.Management.Automation.ErrorCategory]::AuthenticationError }
            elseif ($status -eq 404) { [System.Management.Automation.ErrorCategory]::ObjectNotFound }
            elseif ($status -eq 408) { [System.Management.Automation.ErrorCategory]::OperationTimeout }
            elseif ($status -eq 429) { [System.Management.Automation.ErrorCategory]::LimitsExceeded }
            elseif ($status -ge 500) { [System.Management.Automation.ErrorCategory]::ResourceUnavailable }
            else { [System.Management.Automation.ErrorCategory]::ProtocolError }
            break
        }
        'InvalidResponse' {
            $exception = [System.InvalidOperationException]::new($message)
            $category = [System.Management.Automation.ErrorCategory]::InvalidResult
            break
        }
        'NoSession' {
            $exception = [System.InvalidOperationException]::new($message)
            $category = [System.Management.Automation.ErrorCategory]::ObjectNotFound
            break
        }
        default {
            $exception = [System.InvalidOperationException]::new($message)
            $category = [System.Management.Automation.ErrorCategory]::NotSpecified
        }
    }
    $exception.Data['NativeTokenErrorKind'] = $name
    $exception.Data['NativeTokenResult'] = $kind
    if ($status -ne 0) { $exception.Data['HttpStatus'] = $status }
    if ($trace) { $exception.Data['NativeTokenTrace'] = $trace }
    [System.Management.Automation.ErrorRecord]::new($exception, 'NativeToken.' + $name, $category, $Target)
}

# HttpRequestException on PowerShell 7 (.NET), WebException on Windows PowerShell 5.1
# (.NET Framework, where System.Net.Http may not even be loaded).
function New-NtHttpException {
    param([string] $Name, [string] $Message, [int] $Status)

    $hre = 'System.Net.Http.HttpRequestException' -as [type]
    if ($PSVersionTable.PSEdition -eq 'Core' -and $null -ne $hre) {
        $statusCode = if ($Status -ne 0) { [System.Net.HttpStatusCode]$Status } else { $null }
        $errorType = 'System.Net.Http.HttpRequestError' -as [type]
        if ($null -ne $errorType) {
            # .NET 8+: say what kind of failure it was.
            $requestError = switch ($Name) {
                'ConnectFailed' { 'ConnectionError' }
                'DnsFailed' { 'NameResolutionError' }
                'ConnectionReset' { 'ResponseEnded' }
                'TlsFailed' { 'SecureConnectionError' }
                default { 'Unknown' }
            }
            return $hre::new([System.Enum]::Parse($errorType, $requestError), $Message, $null, $statusCode)
        }
        return $hre::new($Message, $null, $statusCode)
    }
    $webStatus = switch ($Name) {
        'HttpStatus' { 'ProtocolError' }
        'ConnectFailed' { 'ConnectFailure' }
        'DnsFailed' { 'NameResolutionFailure' }
        'ConnectionReset' { 'ConnectionClosed' }
        'TlsFailed' { 'TrustFailure' }
        default { 'UnknownError' }
    }
    [System.Net.WebException]::new($Message, [System.Net.WebExceptionStatus]$webStatus)
}

# ---------------------------------------------------------------------------------------------
# New-VcToken
# ---------------------------------------------------------------------------------------------

function New-VcToken {
    <#
    .SYNOPSIS
    Get a new access token

    .DESCRIPTION
    Get a new access token from an endpoint and JWT.
    You can also provide a VenafiSession, or no session to use the script scoped one, which will use the stored endpoint and jwt to refresh the access token.
    This only works if the jwt has not expired.

    .PARAMETER Endpoint
    Token Endpoint URL as shown on the service account details page in TLSPC

    .PARAMETER Jwt
    JSON web token with access to the configured service account

    .PARAMETER VenafiSession
    VenafiSession object created from New-VenafiSession method.
    This can be used to refresh the access token if the JWT has not expired.

    .EXAMPLE
    New-VcToken

    Refresh the existing access token stored in the script scoped variable VenafiSession
    Only possible if the JWT has not expired.

    .EXAMPLE
    New-VcToken -Endpoint 'https://api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token' -Jwt $Jwt

    Get a new token with OAuth

    .EXAMPLE
    New-VcToken -VenafiSession $sess

    Refresh the existing access token stored in session.
    Only possible if the JWT has not expired.

    .INPUTS
    None

    .OUTPUTS
    PSCustomObject with the following properties:
        Endpoint
        AccessToken
        JWT
        Expires
    #>

    [CmdletBinding(DefaultParameterSetName = 'ScriptSession', PositionalBinding = $false)]
    [OutputType([pscustomobject])]
    param (
        [Parameter(Mandatory, ParameterSetName = 'Endpoint')]
        [ValidateNotNullOrEmpty()]
        [string] $Endpoint,

        [Parameter(Mandatory, ParameterSetName = 'Endpoint')]
        [Parameter(ParameterSetName = 'Session')]
        [ValidateNotNullOrEmpty()]
        [string] $Jwt,

        [Parameter(Mandatory, ParameterSetName = 'Session')]
        [ValidateNotNull()]
        [psobject] $VenafiSession
    )

    $NT = $script:NT
    $set = $PSCmdlet.ParameterSetName
    $vb = $VerbosePreference -ne $script:SilentlyContinue   # build verbose text only when it is shown
    $timeoutMs = [uint32]0   # the library's default, unless $env:NATIVETOKEN_TIMEOUT_SEC says otherwise
    $timeoutText = [System.Environment]::GetEnvironmentVariable('NATIVETOKEN_TIMEOUT_SEC')
    if ($timeoutText) { $timeoutMs = ConvertTo-NtTimeoutMs $timeoutText }

    # What to send: $ep, and the JWT as $jwtPlain, or as $jwtObj (read only when needed).
    $jwtObj = $null
    $jwtPlain = $null
    $token = $null      # ScriptSession: the session's token object, updated in place

    if ($set -eq 'Endpoint') {
        $ep = $Endpoint
        $u = $ep -as [uri]
        if ($null -eq $u -or -not $u.IsAbsoluteUri -or ($u.Scheme -ne 'https' -and $u.Scheme -ne 'http')) {
            # Never echo a value that looks like a JWT (-Endpoint and -Jwt swapped), nor a long one whole.
            $shown = if ($ep -match '^ey[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$') { 'a value that looks like a JWT (are -Endpoint and -Jwt swapped?)' }
            elseif ($ep.Length -gt 200) { "'" + $ep.Substring(0, 60) + "...' (" + $ep.Length + ' characters)' }
            else { "'" + $ep + "'" }
            $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'InvalidUrl' -Kind 'InvalidUrl' -Target $null -Message (
                        "Please enter a valid endpoint, eg. https://api.venafi.cloud/v1/oauth2/v2.0/<tenant-id>/token (the Token Endpoint URL shown on the service account details page in TLSPC). -Endpoint is not an absolute http(s) URL: $shown.")))
        }
        $jwtPlain = $Jwt
    }
    elseif ($set -eq 'Session') {
        $token = $VenafiSession.Token
        if ($null -eq $token) {
            $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'MissingToken' -Target $null -Message (
                        'The VenafiSession has no Token (with Token.Endpoint and Token.JWT): it is a ' + $VenafiSession.GetType().FullName + '; create it with New-VcToken -Endpoint -Jwt.')))
        }
        $ep = [string]$token.Endpoint
        if ($PSBoundParameters.ContainsKey('Jwt')) { $jwtPlain = $Jwt } else { $jwtObj = $token.JWT }
        if (-not $ep) {
            $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'MissingEndpoint' -Target $null -Message 'The VenafiSession has no token endpoint (Token.Endpoint); create it with New-VcToken -Endpoint -Jwt.'))
        }
        if (-not $jwtPlain -and -not $jwtObj) {
            $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'MissingJwt' -Target $ep -Message '-Jwt must be provided directly or via a VenafiSession. The VenafiSession has no JWT (Token.JWT).'))
        }
        $token = $null  # the passed session is not changed; a new token object is returned
    }
    else {
        $sess = $script:VenafiSession
        if ($null -eq $sess) {
            $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'MissingSession' -Target $null -Message '-Jwt must be provided directly or via a VenafiSession.'))
        }
        $token = $sess.Token
        $jwtObj = if ($null -ne $token) { $token.JWT } else { $null }
        if (-not $jwtObj) {
            $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'MissingJwt' -Target $null -Message '-Jwt must be provided directly or via a VenafiSession.'))
        }
        $ep = [string]$token.Endpoint
        if (-not $ep) {
            $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'MissingEndpoint' -Target $null -Message 'The VenafiSession has no token endpoint (Token.Endpoint); create it with New-VcToken -Endpoint -Jwt.'))
        }
    }

    $t = [IntPtr[]]::new(1)     # nt_token*
    $p = [IntPtr[]]::new(1)     # borrowed string: pointer
    $n = [UIntPtr[]]::new(1)    # borrowed string: length
    $ms = [long[]]::new(1)
    $jb = $null
    try {
        if ($vb) {
            $PSCmdlet.WriteVerbose('POST ' + (Get-NtDisplayUrl $ep) + ' (client credentials grant, JWT assertion)')
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
        }
        if ($null -eq $jwtPlain) {
            $jwtPlain = if ($jwtObj -is [pscredential]) { $jwtObj.GetNetworkCredential().Password }
            elseif ($jwtObj -is [securestring]) { [System.Net.NetworkCredential]::new('', $jwtObj).Password }
            elseif ($jwtObj -is [string]) { [string]$jwtObj }
            else {
                $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'InvalidJwtType' -Target $null -Message (
                            "The VenafiSession's Token.JWT is a " + $jwtObj.GetType().FullName + ': a JWT is a PSCredential (password: the JWT), a SecureString or a string.')))
            }
        }
        $eb = $script:Utf8.GetBytes($ep)
        $jb = $script:Utf8.GetBytes($jwtPlain)
        $jl = $jb.Length
        if ($set -eq 'Session') {
            $rc = $NT::nt_vc_token_fetch($eb, [UIntPtr]::new([uint32]$eb.Length), $jb, [UIntPtr]::new([uint32]$jl), $timeoutMs, $t)
        }
        else {
            $rc = $NT::nt_vc_session_begin($eb, [UIntPtr]::new([uint32]$eb.Length), $jb, [UIntPtr]::new([uint32]$jl), $timeoutMs, $t)
        }
        [System.Array]::Clear($jb, 0, $jl)
        if ($rc -ne 0) {
            $PSCmdlet.ThrowTerminatingError((New-NtNativeError $PSCmdlet $rc (Get-NtDisplayUrl $ep) $vb))
        }

        # The result: access token and absolute expiry.
        $tok = $t[0]
        $rc = $NT::nt_token_access_token($tok, $p, $n)
        if ($rc -ne 0) { $PSCmdlet.ThrowTerminatingError((New-NtNativeError $PSCmdlet $rc (Get-NtDisplayUrl $ep) $vb)) }
        $access = if ($script:HasPtrToStringUtf8) { [System.Runtime.InteropServices.Marshal]::PtrToStringUTF8($p[0], [int]$n[0].ToUInt32()) } else { Read-NtUtf8 $p[0] $n[0] }
        $rc = $NT::nt_token_expires_at_unix_ms($tok, $ms)
        if ($rc -ne 0) { $PSCmdlet.ThrowTerminatingError((New-NtNativeError $PSCmdlet $rc (Get-NtDisplayUrl $ep) $vb)) }
        $expires = [System.DateTimeOffset]::FromUnixTimeMilliseconds($ms[0]).UtcDateTime

        if ($vb) {
            $elapsed = $sw.Elapsed.TotalMilliseconds
            if ($NT::nt_token_trace($tok, $p, $n) -eq 0) { Write-NtTrace $PSCmdlet (Read-NtUtf8 $p[0] $n[0]) }
            $PSCmdlet.WriteVerbose(('Access token received in {0:0.0} ms; expires {1:o} (in {2:0} s).' -f $elapsed, $expires, ($expires - [datetime]::UtcNow).TotalSeconds))
        }
    }
    finally {
        if ($t[0] -ne [IntPtr]::Zero) { $null = $NT::nt_token_free($t[0]) }
        if ($null -ne $jb) { [System.Array]::Clear($jb, 0, $jb.Length) }
    }

    $accessCred = [pscredential]::new('AccessToken', [System.Net.NetworkCredential]::new('', $access).SecurePassword)

    if ($set -eq 'ScriptSession') {
        if ($token -is [System.Collections.IDictionary]) {
            $token['AccessToken'] = $accessCred
            $token['Expires'] = $expires
        }
        else {
            $props = $token.psobject.Properties
            $prop = $props['AccessToken']
            if ($null -ne $prop) { $prop.Value = $accessCred } else { $props.Add([System.Management.Automation.PSNoteProperty]::new('AccessToken', $accessCred)) }
            $prop = $props['Expires']
            if ($null -ne $prop) { $prop.Value = $expires } else { $props.Add([System.Management.Automation.PSNoteProperty]::new('Expires', $expires)) }
        }
        if ($vb) { $PSCmdlet.WriteVerbose('Refreshed access token in script scoped variable VenafiSession') }
        return
    }

    # Session: reuse the session's JWT credential when it already is one named JWT.
    $jwtCred = if ($jwtObj -is [pscredential] -and $jwtObj.UserName -ceq 'JWT') { $jwtObj }
    else { [pscredential]::new('JWT', [System.Net.NetworkCredential]::new('', $jwtPlain).SecurePassword) }

    $newToken = [pscustomobject]@{
        Endpoint    = $ep
        AccessToken = $accessCred
        JWT         = $jwtCred
        Expires     = $expires
    }

    if ($set -eq 'Endpoint') {
        $script:VenafiSession = [pscustomobject]@{
            Platform = 'VC'
            Server   = $u.GetLeftPart([System.UriPartial]::Authority)
            Token    = $newToken
        }
        if ($vb) { $PSCmdlet.WriteVerbose('Stored the new session in the script scoped variable VenafiSession') }
    }
    $newToken
}

# ---------------------------------------------------------------------------------------------
# New-ArmorApiToken
# ---------------------------------------------------------------------------------------------

function New-ArmorApiToken {
    <#
    .SYNOPSIS
    Retrieves an authentication token.

    .DESCRIPTION
    Retrieves an authentication token from a temporary authorization code.

    .PARAMETER Code
    Specifies the temporary authorization code to redeem for a token.

    .PARAMETER GrantType
    Specifies the type of permission.

    .PARAMETER ApiVersion
    Specifies the API version for this request.

    .EXAMPLE
    New-ArmorApiToken -Code '+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo='

    Submits the temporary authorization code to retrieve a new Armor API session
    token.

    .INPUTS
    None
        You cannot pipe input to this cmdlet.

    .OUTPUTS
    System.Management.Automation.PSObject

    .NOTES
    - Troy Lindsay
    - Twitter: @troylindsay42
    - GitHub: tlindsay42

    .LINK
    https://tlindsay42.github.io/ArmorPowerShell/private/New-ArmorApiToken/

    .LINK
    https://github.com/tlindsay42/ArmorPowerShell/blob/master/Armor/Private/New-ArmorApiToken.ps1

    .LINK
    https://docs.armor.com/display/KBSS/Post+Token

    .LINK
    https://developer.armor.com/#!/Authentication/TenantOAuth_TokenAsync
    #>

    [CmdletBinding()]
    [OutputType([pscustomobject])]
    param (
        [Parameter(Mandatory, Position = 0)]
        [ValidateNotNullOrEmpty()]
        [string] $Code,

        # Not ValidateSet: it would print {authorization_code} instead of <String> in the syntax.
        [Parameter(Position = 1)]
        [ArgumentCompleter({ param($c, $p, $word) if ('authorization_code' -like "$word*") { [System.Management.Automation.CompletionResult]::new('authorization_code') } })]
        [string] $GrantType = 'Authorization_code',

        [Parameter(Position = 2)]
        [ArgumentCompleter({ param($c, $p, $word) if ('v1.0' -like "$word*") { [System.Management.Automation.CompletionResult]::new('v1.0') } })]
        [string] $ApiVersion = $Global:ArmorSession.ApiVersion
    )

    $NT = $script:NT
    $vb = $VerbosePreference -ne $script:SilentlyContinue   # build verbose text only when it is shown
    $timeoutMs = [uint32]0   # the library's default, unless $env:NATIVETOKEN_TIMEOUT_SEC says otherwise
    $timeoutText = [System.Environment]::GetEnvironmentVariable('NATIVETOKEN_TIMEOUT_SEC')
    if ($timeoutText) { $timeoutMs = ConvertTo-NtTimeoutMs $timeoutText }

    if (-not [string]::Equals($GrantType, 'authorization_code', [System.StringComparison]::OrdinalIgnoreCase)) {
        # Echo the value only when it cannot be a misplaced code.
        $shown = if ($GrantType -match '^[A-Za-z_]{1,40}$') { " '" + $GrantType + "'" } else { '' }
        $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'InvalidGrantType' -Target $null -Message (
                    "The grant type$shown is not supported: -GrantType accepts only 'authorization_code'.")))
    }
    if (-not $ApiVersion) { $ApiVersion = 'v1.0' }
    elseif (-not [string]::Equals($ApiVersion, 'v1.0', [System.StringComparison]::OrdinalIgnoreCase)) {
        $shown = if ($ApiVersion -match '^[A-Za-z0-9._-]{1,20}$') { " '" + $ApiVersion + "'" } else { '' }
        $PSCmdlet.ThrowTerminatingError((New-NtArgumentError -Id 'UnsupportedApiVersion' -Target $null -Message (
                    "The API version$shown has no token endpoint: -ApiVersion accepts only 'v1.0'.")))
    }

    # https://<server>:<port>, from the global Armor session when there is one.
    $server = $Global:ArmorSession.Server
    if ($server) {
        $server = [string]$server
        if ($server.Contains('://')) {
            $base = $server.TrimEnd('/')
        }
        else {
            $port = $Global:ArmorSession.Port
            if (-not $port) { $port = 443 }
            if ($server.Contains(':') -and -not $server.StartsWith('[')) { $server = '[' + $server + ']' }  # IPv6 literal
            $base = 'https://' + $server + ':' + $port
        }
    }
    else {
        $base = 'https://api.armor.com:443'
    }
    if (-not [string]::Equals($base, $script:ArmorBaseText)) {
        $script:ArmorBaseBytes = $script:Utf8.GetBytes($base)
        $script:ArmorBaseText = $base
    }
    $bb = $script:ArmorBaseBytes
    $gb = $script:GrantTypeBytes

    $t = [IntPtr[]]::new(1)     # nt_token*
    $p = [IntPtr[]]::new(1)     # borrowed string: pointer
    $n = [UIntPtr[]]::new(1)    # borrowed string: length
    $i64 = [long[]]::new(1)
    $cb = $null
    try {
        if ($vb) {
            $PSCmdlet.WriteVerbose('POST ' + (Get-NtDisplayUrl $base) + '/auth/token (authorization code grant)')
            $sw = [System.Diagnostics.Stopwatch]::StartNew()
        }
        $cb = $script:Utf8.GetBytes($Code)
        $rc = $NT::nt_armor_session_begin($bb, [UIntPtr]::new([uint32]$bb.Length), $cb, [UIntPtr]::new([uint32]$cb.Length), $gb, [UIntPtr]::new([uint32]$gb.Length), $timeoutMs, $t)
        [System.Array]::Clear($cb, 0, $cb.Length)
        if ($rc -ne 0) {
            $PSCmdlet.ThrowTerminatingError((New-NtNativeError $PSCmdlet $rc ((Get-NtDisplayUrl $base) + '/auth/token') $vb))
        }

        $tok = $t[0]
        if ($script:HasPtrToStringUtf8) {
            $null = $NT::nt_token_access_token($tok, $p, $n)
            $access = [System.Runtime.InteropServices.Marshal]::PtrToStringUTF8($p[0], [int]$n[0].ToUInt32())
            $null = $NT::nt_token_id_token($tok, $p, $n)
            $id = if ($n[0] -eq $script:ZeroSize) { '' } else { [System.Runtime.InteropServices.Marshal]::PtrToStringUTF8($p[0], [int]$n[0].ToUInt32()) }
            $null = $NT::nt_token_token_type($tok, $p, $n)
            $type = if ($n[0] -eq $script:ZeroSize) { '' } else { [System.Runtime.InteropServices.Marshal]::PtrToStringUTF8($p[0], [int]$n[0].ToUInt32()) }
        }
        else {
            $null = $NT::nt_token_access_token($tok, $p, $n)
            $access = Read-NtUtf8 $p[0] $n[0]
            $null = $NT::nt_token_id_token($tok, $p, $n)
            $id = Read-NtUtf8 $p[0] $n[0]
            $null = $NT::nt_token_token_type($tok, $p, $n)
            $type = Read-NtUtf8 $p[0] $n[0]
        }
        $null = $NT::nt_token_expires_in($tok, $i64)
        $expiresIn = [int]$i64[0]

        if ($vb) {
            $elapsed = $sw.Elapsed.TotalMilliseconds
            if ($NT::nt_token_trace($tok, $p, $n) -eq 0) { Write-NtTrace $PSCmdlet (Read-NtUtf8 $p[0] $n[0]) }
            $null = $NT::nt_token_expires_at_unix_ms($tok, $i64)
            $PSCmdlet.WriteVerbose(('Access token received in {0:0.0} ms; expires {1:o} (in {2} min).' -f $elapsed, [System.DateTimeOffset]::FromUnixTimeMilliseconds($i64[0]).UtcDateTime, $expiresIn))
        }
    }
    finally {
        if ($t[0] -ne [IntPtr]::Zero) { $null = $NT::nt_token_free($t[0]) }
        if ($null -ne $cb) { [System.Array]::Clear($cb, 0, $cb.Length) }
    }

    [pscustomobject]@{
        access_token = $access
        id_token     = $id
        expires_in   = $expiresIn
        token_type   = $type
    }
}

Export-ModuleMember -Function 'New-VcToken', 'New-ArmorApiToken' -Variable 'VenafiSession'
