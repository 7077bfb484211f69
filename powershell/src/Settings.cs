using System;
using System.Globalization;
using System.Management.Automation;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>
    /// What a call takes from the user's environment, read on every call from .NET's view of
    /// the environment (so `$env:X = ...` inside PowerShell applies to the next call; the native
    /// library reads no environment variables): NATIVETOKEN_TIMEOUT_SEC, the proxy for the URL
    /// (ProxyRules), SSL_CERT_FILE and SSL_CERT_DIR; and the configuration they make (ConfigCache).
    /// </summary>
    internal static class Settings
    {
        private sealed class ParsedTimeout
        {
            internal readonly string Text;
            internal readonly uint Milliseconds;

            internal ParsedTimeout(string text, uint milliseconds)
            {
                Text = text;
                Milliseconds = milliseconds;
            }
        }

        private static volatile ParsedTimeout? s_timeout;

        /// <summary>NATIVETOKEN_TIMEOUT_SEC (seconds, > 0, fractions allowed) in whole ms; 0 (the library's 30 s) otherwise.</summary>
        internal static uint TimeoutMilliseconds()
        {
            string? text = Environment.GetEnvironmentVariable("NATIVETOKEN_TIMEOUT_SEC");
            if (string.IsNullOrEmpty(text))
            {
                return 0;
            }
            ParsedTimeout? last = s_timeout;
            if (last != null && string.Equals(last.Text, text, StringComparison.Ordinal))
            {
                return last.Milliseconds;
            }
            uint milliseconds = 0;
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0)
            {
                milliseconds = (uint)Math.Min(Math.Ceiling(seconds * 1000), uint.MaxValue);
            }
            s_timeout = new ParsedTimeout(text!, milliseconds);
            return milliseconds;
        }

        /// <summary>
        /// The configuration for a call to <paramref name="target"/> (null when the URL does not
        /// parse: the library then refuses it), leased for the call: the caller disposes the
        /// lease after it. On a configuration that cannot be built (an unusable CA file or proxy
        /// URL), returns null and the error.
        /// </summary>
        internal static ConfigLease? Config(Cmdlet cmdlet, Uri? target, bool verbose, out ErrorRecord? error)
        {
            string? proxySource = null;
            string? proxy = target == null ? null : ProxyRules.Proxy(target, out proxySource);
            string? caFile = Environment.GetEnvironmentVariable("SSL_CERT_FILE");
            string? caDir = Environment.GetEnvironmentVariable("SSL_CERT_DIR");
            if (caFile != null && caFile.Length == 0)
            {
                caFile = null;
            }
            if (caDir != null && caDir.Length == 0)
            {
                caDir = null;
            }
            return ConfigCache.Acquire(cmdlet, proxy, proxySource, caFile, caDir, verbose, out error);
        }
    }
}
