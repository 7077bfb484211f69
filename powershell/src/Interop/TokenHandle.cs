using System;
using System.Security;

namespace NativeToken.Interop
{
    /// <summary>
    /// nt_token: one answer of a token service, and the reading of it. Its strings are borrowed
    /// from the native token and copied out here; nt_token_free wipes its secrets.
    /// </summary>
    internal sealed unsafe class TokenHandle : NativeHandle
    {
        internal enum Field
        {
            AccessToken,
            IdToken,
            TokenType,
            Trace,
        }

        /// <summary>The access token as a SecureString (never a managed string).</summary>
        internal NativeResult AccessToken(out SecureString? value)
        {
            byte* text;
            UIntPtr length;
            NativeResult result = NativeMethods.nt_token_access_token(this, &text, &length);
            value = result == NativeResult.Ok ? NativeText.ToSecureString(text, length) : null;
            return result;
        }

        /// <summary>A string field ("" when the token has none); Armor's output is plain strings, as the original's was.</summary>
        internal string Text(Field field)
        {
            byte* text;
            UIntPtr length;
            NativeResult result;
            switch (field)
            {
                case Field.AccessToken:
                    result = NativeMethods.nt_token_access_token(this, &text, &length);
                    break;
                case Field.IdToken:
                    result = NativeMethods.nt_token_id_token(this, &text, &length);
                    break;
                case Field.TokenType:
                    result = NativeMethods.nt_token_token_type(this, &text, &length);
                    break;
                default:
                    result = NativeMethods.nt_token_trace(this, &text, &length);
                    break;
            }
            return result == NativeResult.Ok ? NativeText.Decode(text, length) : "";
        }

        /// <summary>When the token expires (UTC).</summary>
        internal NativeResult Expires(out DateTime expires)
        {
            long milliseconds;
            NativeResult result = NativeMethods.nt_token_expires_at_unix_ms(this, &milliseconds);
            expires = result == NativeResult.Ok ? DateTimeOffset.FromUnixTimeMilliseconds(milliseconds).UtcDateTime : default;
            return result;
        }

        /// <summary>expires_in as the service sent it (Armor: minutes); 0 when the token has none.</summary>
        internal long ExpiresIn()
        {
            long value;
            return NativeMethods.nt_token_expires_in(this, &value) == NativeResult.Ok ? value : 0;
        }

        protected override void Free(IntPtr value) => NativeMethods.nt_token_free(value);
    }
}
