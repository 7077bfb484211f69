using System;
using System.Runtime.InteropServices;
using System.Security;

namespace NativeToken.Interop
{
    /// <summary>
    /// Every native function the module calls: the native_token C ABI (docs/ABI.md,
    /// include/native_token.h), plus LoadLibraryW, used once on .NET Framework to load the
    /// library from the module's lib/&lt;rid&gt;/ folder. Signatures are blittable (pointers,
    /// integers, IntPtr): nothing is marshalled. Strings go in as UTF-8 bytes and a length and
    /// come back as borrowed (pointer, length) pairs; no string is ever returned.
    /// Handles are IntPtr here; their owners are the SafeHandle classes in Handles.cs, which
    /// keep them alive (DangerousAddRef) for the length of each call.
    /// </summary>
    [SuppressUnmanagedCodeSecurity]
    internal static unsafe class NativeMethods
    {
        internal const string Library = "native_token";

        internal const uint Ok = 0;
        internal const uint NoSession = 14;
        internal const uint Cancelled = 16;

        // Version and result names: static NUL-terminated strings, never freed.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern byte* nt_version();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern byte* nt_result_name(uint result);

        // Errors (nt_error).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern IntPtr nt_error_take_last();

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_error_kind(IntPtr error, uint* outKind);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_error_http_status(IntPtr error, ushort* outStatus);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_error_message(IntPtr error, byte** outPtr, UIntPtr* outLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_error_trace(IntPtr error, byte** outPtr, UIntPtr* outLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void nt_error_free(IntPtr error);

        // Configuration (nt_config_builder -> nt_config).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_config_builder_new(IntPtr* outBuilder);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_config_builder_set_proxy(IntPtr builder, byte* proxyUrl, UIntPtr proxyUrlLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_config_builder_add_ca_file(IntPtr builder, byte* path, UIntPtr pathLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_config_builder_add_ca_dir(IntPtr builder, byte* path, UIntPtr pathLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_config_builder_build(IntPtr builder, IntPtr* outConfig);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void nt_config_builder_free(IntPtr builder);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void nt_config_free(IntPtr config);

        // Cancellation (nt_cancel).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_cancel_new(IntPtr* outCancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_cancel_trigger(IntPtr cancel);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void nt_cancel_free(IntPtr cancel);

        // TLSPC session (nt_vc_session).
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_vc_session_new(IntPtr* outSession);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_vc_session_begin(
            IntPtr session, IntPtr config, byte* endpoint, UIntPtr endpointLen, byte* jwt, UIntPtr jwtLen,
            uint timeoutMs, IntPtr cancel, IntPtr* outToken);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_vc_session_refresh(IntPtr session, IntPtr config, uint timeoutMs, IntPtr cancel, IntPtr* outToken);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void nt_vc_session_free(IntPtr session);

        // Stateless token calls.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_vc_token_fetch(
            IntPtr config, byte* endpoint, UIntPtr endpointLen, byte* jwt, UIntPtr jwtLen,
            uint timeoutMs, IntPtr cancel, IntPtr* outToken);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_armor_token_fetch(
            IntPtr config, byte* baseUrl, UIntPtr baseUrlLen, byte* code, UIntPtr codeLen, byte* grantType, UIntPtr grantTypeLen,
            uint timeoutMs, IntPtr cancel, IntPtr* outToken);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_armor_token_reissue(
            IntPtr config, byte* baseUrl, UIntPtr baseUrlLen, byte* accessToken, UIntPtr accessTokenLen,
            uint timeoutMs, IntPtr cancel, IntPtr* outToken);

        // Tokens (nt_token): borrowed strings, valid until nt_token_free.
        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_token_access_token(IntPtr token, byte** outPtr, UIntPtr* outLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_token_token_type(IntPtr token, byte** outPtr, UIntPtr* outLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_token_id_token(IntPtr token, byte** outPtr, UIntPtr* outLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_token_trace(IntPtr token, byte** outPtr, UIntPtr* outLen);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_token_expires_in(IntPtr token, long* outValue);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern uint nt_token_expires_at_unix_ms(IntPtr token, long* outValue);

        [DllImport(Library, CallingConvention = CallingConvention.Cdecl, ExactSpelling = true)]
        internal static extern void nt_token_free(IntPtr token);

        // Windows (.NET Framework only): loads the library by full path before the first call
        // above, so that the DllImports bind to it by name.
        [DllImport("kernel32.dll", ExactSpelling = true, SetLastError = true)]
        internal static extern IntPtr LoadLibraryW(char* path);
    }
}
