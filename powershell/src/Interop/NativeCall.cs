using System;
using System.Security;

namespace NativeToken.Interop
{
    /// <summary>
    /// The native token calls: inputs as UTF-8 (Utf8Arguments), the call watching the cmdlet's
    /// cancellation, the handles referenced by the call itself. Each returns the result; on
    /// <see cref="NativeResult.Ok"/> <c>token</c> owns the answer, otherwise the thread's last
    /// error is left for <see cref="NativeError.TakeLast"/>.
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

        internal enum ArmorOperation
        {
            /// <summary>nt_armor_token_fetch: POST &lt;base&gt;/auth/token with an authorization code.</summary>
            Redeem,

            /// <summary>nt_armor_token_reissue: POST &lt;base&gt;/auth/token/reissue with an access token.</summary>
            Reissue,
        }

        // "authorization_code", the only grant type: its UTF-8 bytes, made once.
        private static readonly byte[] AuthorizationCode = NativeText.Utf8.GetBytes("authorization_code");

        /// <summary>What a call's native function needs besides its string arguments.</summary>
        private struct CallState
        {
            internal int Operation;
            internal VcSessionHandle? Session;
            internal ConfigHandle Config;
            internal uint TimeoutMs;
            internal CancelHandle Cancel;
            internal TokenHandle Token;
        }

        /// <summary>
        /// A TLSPC call. The JWT comes as a string (<paramref name="jwtText"/>) or as a
        /// SecureString (<paramref name="jwtSecure"/>); Refresh takes neither, nor an endpoint
        /// (the session has them); Fetch takes no session.
        /// </summary>
        internal static NativeResult Vc(
            VcOperation operation, VcSessionHandle? session, ConfigHandle config, string? endpoint, string? jwtText, SecureString? jwtSecure,
            uint timeoutMs, Cancellation cancellation, TokenHandle token)
        {
            var state = new CallState { Operation = (int)operation, Session = session, Config = config, TimeoutMs = timeoutMs, Token = token };
            state.Cancel = cancellation.Enter();
            try
            {
                if (operation == VcOperation.Refresh)
                {
                    IntPtr result;
                    return Adopt(NativeMethods.nt_vc_session_refresh(session!, config, timeoutMs, state.Cancel, &result), result, token);
                }
                return Utf8Arguments.Pass(endpoint, jwtText, jwtSecure, ref state, VcWithArguments);
            }
            finally
            {
                cancellation.Exit(state.Cancel);
            }
        }

        private static readonly Utf8Arguments.Call<CallState> VcWithArguments = (ref CallState state, Utf8Arguments.Utf8 endpoint, Utf8Arguments.Utf8 jwt) =>
        {
            IntPtr result;
            NativeResult rc = (VcOperation)state.Operation == VcOperation.Begin
                ? NativeMethods.nt_vc_session_begin(
                    state.Session!, state.Config, endpoint.Bytes, endpoint.Length, jwt.Bytes, jwt.Length, state.TimeoutMs, state.Cancel, &result)
                : NativeMethods.nt_vc_token_fetch(
                    state.Config, endpoint.Bytes, endpoint.Length, jwt.Bytes, jwt.Length, state.TimeoutMs, state.Cancel, &result);
            return Adopt(rc, result, state.Token);
        };

        /// <summary>
        /// An Armor call: the base URL and one secret, the authorization code (Redeem) or the
        /// access token to renew (Reissue).
        /// </summary>
        internal static NativeResult Armor(
            ArmorOperation operation, ConfigHandle config, string baseUrl, string secret, uint timeoutMs, Cancellation cancellation, TokenHandle token)
        {
            var state = new CallState { Operation = (int)operation, Config = config, TimeoutMs = timeoutMs, Token = token };
            state.Cancel = cancellation.Enter();
            try
            {
                return Utf8Arguments.Pass(baseUrl, secret, null, ref state, ArmorWithArguments);
            }
            finally
            {
                cancellation.Exit(state.Cancel);
            }
        }

        private static readonly Utf8Arguments.Call<CallState> ArmorWithArguments = (ref CallState state, Utf8Arguments.Utf8 baseUrl, Utf8Arguments.Utf8 secret) =>
        {
            IntPtr result;
            NativeResult rc;
            if ((ArmorOperation)state.Operation == ArmorOperation.Redeem)
            {
                fixed (byte* grantType = AuthorizationCode)
                {
                    rc = NativeMethods.nt_armor_token_fetch(
                        state.Config, baseUrl.Bytes, baseUrl.Length, secret.Bytes, secret.Length, grantType, (UIntPtr)(uint)AuthorizationCode.Length,
                        state.TimeoutMs, state.Cancel, &result);
                }
            }
            else
            {
                rc = NativeMethods.nt_armor_token_reissue(
                    state.Config, baseUrl.Bytes, baseUrl.Length, secret.Bytes, secret.Length, state.TimeoutMs, state.Cancel, &result);
            }
            return Adopt(rc, result, state.Token);
        };

        /// <summary>On success, the token handle takes what the call wrote to its out-pointer.</summary>
        private static NativeResult Adopt(NativeResult result, IntPtr written, TokenHandle token)
        {
            if (result == NativeResult.Ok)
            {
                token.Adopt(written);
            }
            return result;
        }
    }
}
