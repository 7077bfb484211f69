using System;
using System.Runtime.InteropServices;
using System.Security;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>
    /// The native token calls with their inputs as UTF-8 (on the stack when small; secrets zeroed
    /// right after the call), the handles kept alive for the length of the call, and the call
    /// watching the cmdlet's cancellation. Each returns the nt_result; on NT_OK the token handle
    /// owns the result. On failure the thread's last error is left for Errors.Native.
    /// </summary>
    internal static unsafe class NativeCall
    {
        internal enum VcOperation
        {
            /// <summary>nt_vc_token_fetch: stateless (-VenafiSession).</summary>
            Fetch,

            /// <summary>nt_vc_session_begin: the module scope's session (-Endpoint -Jwt, or an edited $VenafiSession).</summary>
            Begin,

            /// <summary>nt_vc_session_refresh: endpoint and JWT read natively (bare New-VcToken).</summary>
            Refresh,
        }

        // "authorization_code", the only grant type: its UTF-8 bytes, made once.
        private static readonly byte[] AuthorizationCode = NativeText.Utf8.GetBytes("authorization_code");

        /// <summary>
        /// A TLSPC call. The JWT comes as a string (<paramref name="jwtText"/>) or as a
        /// SecureString (<paramref name="jwtSecure"/>, copied out only into memory that is zeroed);
        /// Refresh takes neither, nor an endpoint.
        /// </summary>
        internal static uint Vc(
            VcOperation operation, VcSessionHandle? session, ConfigHandle? config, string? endpoint, string? jwtText, SecureString? jwtSecure,
            uint timeoutMs, Cancellation cancellation, TokenHandle token)
        {
            if (operation == VcOperation.Refresh)
            {
                return Invoke(operation, session, config, null, UIntPtr.Zero, null, UIntPtr.Zero, timeoutMs, cancellation, token);
            }

            IntPtr unprotected = IntPtr.Zero;
            try
            {
                fixed (char* endpointChars = endpoint)
                fixed (char* textChars = jwtText)
                {
                    char* jwtChars = textChars;
                    int jwtCharCount = jwtText?.Length ?? 0;
                    if (jwtSecure != null)
                    {
                        unprotected = Marshal.SecureStringToGlobalAllocUnicode(jwtSecure);
                        jwtChars = (char*)unprotected;
                        jwtCharCount = jwtSecure.Length;
                    }
                    int endpointCharCount = endpoint?.Length ?? 0;
                    int endpointLength = endpointCharCount == 0 ? 0 : NativeText.Utf8.GetByteCount(endpointChars, endpointCharCount);
                    int jwtLength = jwtCharCount == 0 ? 0 : NativeText.Utf8.GetByteCount(jwtChars, jwtCharCount);
                    int total = endpointLength + jwtLength + 1;
                    byte* heap = null;
                    byte* stack = stackalloc byte[total <= NativeText.StackBytes ? total : 0];
                    byte* buffer = total <= NativeText.StackBytes ? stack : (heap = (byte*)Marshal.AllocHGlobal(total));
                    try
                    {
                        if (endpointLength != 0)
                        {
                            NativeText.Utf8.GetBytes(endpointChars, endpointCharCount, buffer, endpointLength);
                        }
                        if (jwtLength != 0)
                        {
                            NativeText.Utf8.GetBytes(jwtChars, jwtCharCount, buffer + endpointLength, jwtLength);
                        }
                        return Invoke(
                            operation, session, config, buffer, (UIntPtr)(uint)endpointLength, buffer + endpointLength, (UIntPtr)(uint)jwtLength,
                            timeoutMs, cancellation, token);
                    }
                    finally
                    {
                        NativeText.Zero(buffer + endpointLength, jwtLength);
                        if (heap != null)
                        {
                            Marshal.FreeHGlobal((IntPtr)heap);
                        }
                    }
                }
            }
            finally
            {
                if (unprotected != IntPtr.Zero)
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(unprotected);
                }
            }
        }

        private static uint Invoke(
            VcOperation operation, VcSessionHandle? session, ConfigHandle? config, byte* endpoint, UIntPtr endpointLength, byte* jwt, UIntPtr jwtLength,
            uint timeoutMs, Cancellation cancellation, TokenHandle token)
        {
            CancelHandle cancel = cancellation.Enter();
            bool sessionReferenced = false;
            try
            {
                IntPtr sessionHandle = IntPtr.Zero;
                if (session != null)
                {
                    session.DangerousAddRef(ref sessionReferenced);
                    sessionHandle = session.DangerousGetHandle();
                }
                IntPtr configHandle = config == null ? IntPtr.Zero : config.DangerousGetHandle();
                IntPtr cancelHandle = cancel.DangerousGetHandle();
                IntPtr result = IntPtr.Zero;
                uint rc;
                switch (operation)
                {
                    case VcOperation.Begin:
                        rc = NativeMethods.nt_vc_session_begin(
                            sessionHandle, configHandle, endpoint, endpointLength, jwt, jwtLength, timeoutMs, cancelHandle, &result);
                        break;
                    case VcOperation.Refresh:
                        rc = NativeMethods.nt_vc_session_refresh(sessionHandle, configHandle, timeoutMs, cancelHandle, &result);
                        break;
                    default:
                        rc = NativeMethods.nt_vc_token_fetch(configHandle, endpoint, endpointLength, jwt, jwtLength, timeoutMs, cancelHandle, &result);
                        break;
                }
                if (rc == NativeMethods.Ok)
                {
                    token.Adopt(result);
                }
                return rc;
            }
            finally
            {
                if (sessionReferenced)
                {
                    session!.DangerousRelease();
                }
                cancellation.Exit(cancel);
            }
        }

        /// <summary>An Armor call: POST &lt;baseUrl&gt;/auth/token with the code (zeroed after the call).</summary>
        internal static uint Armor(ConfigHandle? config, string baseUrl, string code, uint timeoutMs, Cancellation cancellation, TokenHandle token) =>
            ArmorCall(ArmorOperation.Redeem, config, baseUrl, code, timeoutMs, cancellation, token);

        /// <summary>An Armor renewal: POST &lt;baseUrl&gt;/auth/token/reissue with the access token (zeroed after the call).</summary>
        internal static uint ArmorReissue(ConfigHandle? config, string baseUrl, string accessToken, uint timeoutMs, Cancellation cancellation, TokenHandle token) =>
            ArmorCall(ArmorOperation.Reissue, config, baseUrl, accessToken, timeoutMs, cancellation, token);

        private enum ArmorOperation
        {
            Redeem,
            Reissue,
        }

        /// <summary>The two Armor calls: a base URL and one secret (a code or an access token), as UTF-8 in one buffer.</summary>
        private static uint ArmorCall(
            ArmorOperation operation, ConfigHandle? config, string baseUrl, string code, uint timeoutMs, Cancellation cancellation, TokenHandle token)
        {
            fixed (char* baseChars = baseUrl)
            fixed (char* codeChars = code)
            fixed (byte* grantType = AuthorizationCode)
            {
                int baseLength = NativeText.Utf8.GetByteCount(baseChars, baseUrl.Length);
                int codeLength = NativeText.Utf8.GetByteCount(codeChars, code.Length);
                int total = baseLength + codeLength + 1;
                byte* heap = null;
                byte* stack = stackalloc byte[total <= NativeText.StackBytes ? total : 0];
                byte* buffer = total <= NativeText.StackBytes ? stack : (heap = (byte*)Marshal.AllocHGlobal(total));
                CancelHandle? cancel = null;
                try
                {
                    NativeText.Utf8.GetBytes(baseChars, baseUrl.Length, buffer, baseLength);
                    NativeText.Utf8.GetBytes(codeChars, code.Length, buffer + baseLength, codeLength);
                    cancel = cancellation.Enter();
                    IntPtr result = IntPtr.Zero;
                    IntPtr configHandle = config == null ? IntPtr.Zero : config.DangerousGetHandle();
                    uint rc = operation == ArmorOperation.Redeem
                        ? NativeMethods.nt_armor_token_fetch(
                            configHandle,
                            buffer, (UIntPtr)(uint)baseLength,
                            buffer + baseLength, (UIntPtr)(uint)codeLength,
                            grantType, (UIntPtr)(uint)AuthorizationCode.Length,
                            timeoutMs, cancel.DangerousGetHandle(), &result)
                        : NativeMethods.nt_armor_token_reissue(
                            configHandle,
                            buffer, (UIntPtr)(uint)baseLength,
                            buffer + baseLength, (UIntPtr)(uint)codeLength,
                            timeoutMs, cancel.DangerousGetHandle(), &result);
                    if (rc == NativeMethods.Ok)
                    {
                        token.Adopt(result);
                    }
                    return rc;
                }
                finally
                {
                    if (cancel != null)
                    {
                        cancellation.Exit(cancel);
                    }
                    NativeText.Zero(buffer + baseLength, codeLength);
                    if (heap != null)
                    {
                        Marshal.FreeHGlobal((IntPtr)heap);
                    }
                }
            }
        }

        // --------------------------------------------------------------------------------------
        // Reading a token
        // --------------------------------------------------------------------------------------

        /// <summary>The access token as a SecureString (never a managed string).</summary>
        internal static uint AccessToken(TokenHandle token, out SecureString? value)
        {
            byte* text;
            UIntPtr length;
            uint rc = NativeMethods.nt_token_access_token(token.DangerousGetHandle(), &text, &length);
            value = rc == NativeMethods.Ok ? NativeText.ToSecureString(text, length) : null;
            return rc;
        }

        /// <summary>A string getter (Armor's output is plain strings, as the original's was).</summary>
        internal static string Text(TokenHandle token, TokenText which)
        {
            byte* text;
            UIntPtr length;
            IntPtr handle = token.DangerousGetHandle();
            uint rc;
            switch (which)
            {
                case TokenText.AccessToken:
                    rc = NativeMethods.nt_token_access_token(handle, &text, &length);
                    break;
                case TokenText.IdToken:
                    rc = NativeMethods.nt_token_id_token(handle, &text, &length);
                    break;
                case TokenText.TokenType:
                    rc = NativeMethods.nt_token_token_type(handle, &text, &length);
                    break;
                default:
                    rc = NativeMethods.nt_token_trace(handle, &text, &length);
                    break;
            }
            return rc == NativeMethods.Ok ? NativeText.Decode(text, length) : "";
        }

        internal enum TokenText
        {
            AccessToken,
            IdToken,
            TokenType,
            Trace,
        }

        /// <summary>When the token expires (UTC).</summary>
        internal static uint Expires(TokenHandle token, out DateTime expires)
        {
            long milliseconds;
            uint rc = NativeMethods.nt_token_expires_at_unix_ms(token.DangerousGetHandle(), &milliseconds);
            expires = rc == NativeMethods.Ok ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds).UtcDateTime : default;
            return rc;
        }

        /// <summary>expires_in as the service sent it (Armor: minutes).</summary>
        internal static long ExpiresIn(TokenHandle token)
        {
            long value;
            return NativeMethods.nt_token_expires_in(token.DangerousGetHandle(), &value) == NativeMethods.Ok ? value : 0;
        }
    }
}
