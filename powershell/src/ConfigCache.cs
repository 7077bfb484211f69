using System;
using System.IO;
using System.Management.Automation;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>
    /// One nt_config per distinct (proxy, SSL_CERT_FILE, SSL_CERT_DIR), shared by every call in
    /// the process, so that calls with the same settings reuse the configuration's pooled
    /// connections (kept-alive HTTP, resumed TLS). At most <see cref="Capacity"/> are kept; the
    /// least recently used is dropped. A dropped configuration is freed when the last call using
    /// it returns (each call holds a SafeHandle reference). "No settings" is a configuration too.
    /// </summary>
    internal static class ConfigCache
    {
        internal const int Capacity = 16;

        private sealed class Entry
        {
            internal readonly string? Proxy;
            internal readonly string? CaFile;
            internal readonly string? CaDir;
            internal readonly ConfigHandle Handle;

            internal Entry(string? proxy, string? caFile, string? caDir, ConfigHandle handle)
            {
                Proxy = proxy;
                CaFile = caFile;
                CaDir = caDir;
                Handle = handle;
            }

            internal bool Matches(string? proxy, string? caFile, string? caDir) =>
                string.Equals(Proxy, proxy, StringComparison.Ordinal) &&
                string.Equals(CaFile, caFile, StringComparison.Ordinal) &&
                string.Equals(CaDir, caDir, StringComparison.Ordinal);
        }

        private static readonly object Gate = new object();

        // Most recently used first; s_count entries in use.
        private static readonly Entry?[] s_entries = new Entry?[Capacity];
        private static int s_count;

        /// <summary>
        /// The configuration for these settings, leased to the caller (dispose the lease when the
        /// call is done); null and an error if it cannot be built.
        /// </summary>
        internal static ConfigLease? Acquire(
            Cmdlet cmdlet, string? proxy, string? proxySource, string? caFile, string? caDir, bool verbose, out ErrorRecord? error)
        {
            error = null;
            ConfigLease? lease = Find(proxy, caFile, caDir);
            if (lease != null)
            {
                return lease;
            }

            // Built outside the lock: it reads CA files and makes an HTTP client.
            ConfigHandle? built = Build(cmdlet, proxy, proxySource, caFile, caDir, verbose, out error);
            if (built == null)
            {
                return null;
            }
            lock (Gate)
            {
                for (int i = 0; i < s_count; i++)
                {
                    if (s_entries[i]!.Matches(proxy, caFile, caDir))
                    {
                        // Another thread added the same settings meanwhile: use that one.
                        built.Dispose();
                        return Use(i);
                    }
                }
                if (s_count == Capacity)
                {
                    s_entries[Capacity - 1]!.Handle.Dispose();
                    s_count--;
                }
                Array.Copy(s_entries, 0, s_entries, 1, s_count);
                s_entries[0] = new Entry(proxy, caFile, caDir, built);
                s_count++;
                return Use(0);
            }
        }

        private static ConfigLease? Find(string? proxy, string? caFile, string? caDir)
        {
            lock (Gate)
            {
                for (int i = 0; i < s_count; i++)
                {
                    if (s_entries[i]!.Matches(proxy, caFile, caDir))
                    {
                        return Use(i);
                    }
                }
            }
            return null;
        }

        /// <summary>Moves entry i to the front and leases it to the caller. Under the lock.</summary>
        private static ConfigLease Use(int i)
        {
            Entry entry = s_entries[i]!;
            if (i != 0)
            {
                Array.Copy(s_entries, 0, s_entries, 1, i);
                s_entries[0] = entry;
            }
            return new ConfigLease(entry.Handle);
        }

        private static ConfigHandle? Build(
            Cmdlet cmdlet, string? proxy, string? proxySource, string? caFile, string? caDir, bool verbose, out ErrorRecord? error)
        {
            error = null;
            string[]? caDirs = caDir?.Split(new[] { Path.PathSeparator }, StringSplitOptions.RemoveEmptyEntries);
            NativeResult result = NativeConfig.Build(proxy, caFile, caDirs, out ConfigHandle? config, out NativeConfig.Step failed);
            if (result != NativeResult.Ok)
            {
                error = Errors.Native(cmdlet, result, null, verbose, FailedSetting(failed, proxySource, caFile, caDir));
            }
            return config;
        }

        /// <summary>What an error's message adds to say which setting it came from.</summary>
        private static string? FailedSetting(NativeConfig.Step failed, string? proxySource, string? caFile, string? caDir)
        {
            switch (failed)
            {
                case NativeConfig.Step.Proxy:
                    return " (the proxy set by " + proxySource + ")";
                case NativeConfig.Step.CaFile:
                    return " (set by SSL_CERT_FILE)";
                case NativeConfig.Step.CaDir:
                    return " (set by SSL_CERT_DIR)";
                case NativeConfig.Step.Build:
                    return " (settings: " + Describe(proxySource, caFile, caDir) + ")";
                default:
                    return null;
            }
        }

        private static string Describe(string? proxySource, string? caFile, string? caDir)
        {
            string text = "";
            if (proxySource != null)
            {
                text = "the proxy set by " + proxySource;
            }
            if (caFile != null)
            {
                text += (text.Length == 0 ? "" : ", ") + "SSL_CERT_FILE";
            }
            if (caDir != null)
            {
                text += (text.Length == 0 ? "" : ", ") + "SSL_CERT_DIR";
            }
            return text.Length == 0 ? "none" : text;
        }
    }
}
