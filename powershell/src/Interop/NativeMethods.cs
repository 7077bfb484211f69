using System;
using System.Runtime.InteropServices;
using System.Security;

namespace NativeToken.Interop
{
    /// <summary>
    /// Every native function the module calls: the native_token C ABI (docs/ABI.md,
    /// include/native_token.h), plus LoadLibraryW, used once on .NET Framework to load the
    /// library from the module's lib/&lt;rid&gt;/ folder. Private to Interop/: the rest of the
    /// module calls the typed API beside it (NativeCall, NativeConfig, NativeError, the handles).
    /// Strings go in as UTF-8 bytes and a length (Utf8Arguments) and come back as borrowed
    /// (pointer, length) pairs; no string is marshalled. Handles go in as their SafeHandles, so
    /// that each call takes a reference for its own length (a handle disposed meanwhile is freed
    /// only after the call returns); new handles come back through IntPtr out-pointers, written
    /// only on success and then adopted by a SafeHandle (NativeHandle.Adopt).
    /// </summary>
    [SuppressUnmanagedCodeSecurity]
    internal static unsafe class NativeMethods
    {
        internal const string Library = "native_token";

        // The ABI's calling convention (the only one on x64 and arm64, the platforms the module runs on).
        private const CallingConvention Cdecl = CallingConvention.Cdecl;

        // Version and result names: static NUL-terminated strings, never freed.
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern byte* nt_version();

        // Errors (nt_error).
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern IntPtr nt_error_take_last();
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_error_kind(ErrorHandle error, NativeResult* outKind);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_error_http_status(ErrorHandle error, ushort* outStatus);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_error_message(ErrorHandle error, byte** outPtr, UIntPtr* outLen);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_error_trace(ErrorHandle error, byte** outPtr, UIntPtr* outLen);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern void nt_error_free(IntPtr error);

        // Configuration (nt_config_builder -> nt_config).
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_config_builder_new(IntPtr* outBuilder);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_config_builder_set_proxy(ConfigBuilderHandle builder, byte* proxyUrl, UIntPtr proxyUrlLen);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_config_builder_add_ca_file(ConfigBuilderHandle builder, byte* path, UIntPtr pathLen);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_config_builder_add_ca_dir(ConfigBuilderHandle builder, byte* path, UIntPtr pathLen);

        // Consumes the builder in every case (ConfigBuilderHandle.Consumed).
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_config_builder_build(ConfigBuilderHandle builder, IntPtr* outConfig);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern void nt_config_builder_free(IntPtr builder);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern void nt_config_free(IntPtr config);

        // Cancellation (nt_cancel).
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_cancel_new(IntPtr* outCancel);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_cancel_trigger(CancelHandle cancel);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern void nt_cancel_free(IntPtr cancel);

        // TLSPC session (nt_vc_session).
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_vc_session_new(IntPtr* outSession);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_vc_session_begin(
            VcSessionHandle session, ConfigHandle config, byte* endpoint, UIntPtr endpointLen, byte* jwt, UIntPtr jwtLen,
            uint timeoutMs, CancelHandle cancel, IntPtr* outToken);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_vc_session_refresh(
            VcSessionHandle session, ConfigHandle config, uint timeoutMs, CancelHandle cancel, IntPtr* outToken);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern void nt_vc_session_free(IntPtr session);

        // Stateless token calls.
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_vc_token_fetch(
            ConfigHandle config, byte* endpoint, UIntPtr endpointLen, byte* jwt, UIntPtr jwtLen,
            uint timeoutMs, CancelHandle cancel, IntPtr* outToken);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_armor_token_fetch(
            ConfigHandle config, byte* baseUrl, UIntPtr baseUrlLen, byte* code, UIntPtr codeLen, byte* grantType, UIntPtr grantTypeLen,
            uint timeoutMs, CancelHandle cancel, IntPtr* outToken);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_armor_token_reissue(
            ConfigHandle config, byte* baseUrl, UIntPtr baseUrlLen, byte* accessToken, UIntPtr accessTokenLen,
            uint timeoutMs, CancelHandle cancel, IntPtr* outToken);

        // Tokens (nt_token): borrowed strings, valid until nt_token_free.
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_token_access_token(TokenHandle token, byte** outPtr, UIntPtr* outLen);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_token_token_type(TokenHandle token, byte** outPtr, UIntPtr* outLen);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_token_id_token(TokenHandle token, byte** outPtr, UIntPtr* outLen);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_token_trace(TokenHandle token, byte** outPtr, UIntPtr* outLen);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_token_expires_in(TokenHandle token, long* outValue);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern NativeResult nt_token_expires_at_unix_ms(TokenHandle token, long* outValue);
        [DllImport(Library, CallingConvention = Cdecl, ExactSpelling = true)] internal static extern void nt_token_free(IntPtr token);

        // Windows (.NET Framework only): loads the library by full path before the first call
        // above, so that the DllImports bind to it by name.
        [DllImport("kernel32.dll", ExactSpelling = true, SetLastError = true)]
        internal static extern IntPtr LoadLibraryW(char* path);
    }
}
