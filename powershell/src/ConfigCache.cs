using System;
using System.IO;
using System.Management.Automation;
using System.Runtime.InteropServices;
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
        /// The configuration for these settings, with a reference taken for the caller
        /// (DangerousRelease when the call is done); null and an error if it cannot be built.
        /// </summary>
        internal static ConfigHandle? Acquire(
            Cmdlet cmdlet, string? proxy, string? proxySource, string? caFile, string? caDir, bool verbose, out ErrorRecord? error)
        {
            error = null;
            ConfigHandle? handle = Find(proxy, caFile, caDir);
            if (handle != null)
            {
                return handle;
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

        private static ConfigHandle? Find(string? proxy, string? caFile, string? caDir)
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

        /// <summary>Moves entry i to the front and takes a reference for the caller. Under the lock.</summary>
        private static ConfigHandle Use(int i)
        {
            Entry entry = s_entries[i]!;
            if (i != 0)
            {
                Array.Copy(s_entries, 0, s_entries, 1, i);
                s_entries[0] = entry;
            }
            bool added = false;
            entry.Handle.DangerousAddRef(ref added);
            return entry.Handle;
        }

        private static unsafe ConfigHandle? Build(
            Cmdlet cmdlet, string? proxy, string? proxySource, string? caFile, string? caDir, bool verbose, out ErrorRecord? error)
        {
            error = null;
            using (var builder = new ConfigBuilderHandle())
            {
                IntPtr raw;
                uint rc = NativeMethods.nt_config_builder_new(&raw);
                if (rc != NativeMethods.Ok)
                {
                    error = Errors.Native(cmdlet, rc, null, verbose);
                    return null;
                }
                builder.Adopt(raw);

                if (proxy != null)
                {
                    rc = Set(builder.DangerousGetHandle(), Setting.Proxy, proxy);
                    if (rc != NativeMethods.Ok)
                    {
                        error = Errors.Native(cmdlet, rc, null, verbose, " (the proxy set by " + proxySource + ")");
                        return null;
                    }
                }
                if (caFile != null)
                {
                    rc = Set(builder.DangerousGetHandle(), Setting.CaFile, caFile);
                    if (rc != NativeMethods.Ok)
                    {
                        error = Errors.Native(cmdlet, rc, null, verbose, " (set by SSL_CERT_FILE)");
                        return null;
                    }
                }
                if (caDir != null)
                {
                    foreach (string directory in caDir.Split(Path.PathSeparator))
                    {
                        if (directory.Length == 0)
                        {
                            continue;
                        }
                        rc = Set(builder.DangerousGetHandle(), Setting.CaDir, directory);
                        if (rc != NativeMethods.Ok)
                        {
                            error = Errors.Native(cmdlet, rc, null, verbose, " (set by SSL_CERT_DIR)");
                            return null;
                        }
                    }
                }

                var config = new ConfigHandle();
                IntPtr built;
                rc = NativeMethods.nt_config_builder_build(builder.DangerousGetHandle(), &built);
                builder.Consumed();
                if (rc != NativeMethods.Ok)
                {
                    error = Errors.Native(cmdlet, rc, null, verbose, " (settings: " + Describe(proxySource, caFile, caDir) + ")");
                    config.Dispose();
                    return null;
                }
                config.Adopt(built);
                return config;
            }
        }

        private enum Setting
        {
            Proxy,
            CaFile,
            CaDir,
        }

        private static unsafe uint Set(IntPtr builder, Setting setting, string value)
        {
            int length = NativeText.Utf8.GetByteCount(value);
            byte* heap = null;
            byte* stack = stackalloc byte[length <= NativeText.StackBytes ? length : 0];
            byte* bytes = length <= NativeText.StackBytes ? stack : (heap = (byte*)Marshal.AllocHGlobal(length));
            fixed (char* chars = value)
            {
                NativeText.Utf8.GetBytes(chars, value.Length, bytes, length);
            }
            try
            {
                var size = (UIntPtr)(uint)length;
                switch (setting)
                {
                    case Setting.Proxy:
                        return NativeMethods.nt_config_builder_set_proxy(builder, bytes, size);
                    case Setting.CaFile:
                        return NativeMethods.nt_config_builder_add_ca_file(builder, bytes, size);
                    default:
                        return NativeMethods.nt_config_builder_add_ca_dir(builder, bytes, size);
                }
            }
            finally
            {
                // A proxy URL may hold a user name and password.
                NativeText.Zero(bytes, length);
                if (heap != null)
                {
                    Marshal.FreeHGlobal((IntPtr)heap);
                }
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
