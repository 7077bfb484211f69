using System;

namespace NativeToken.Interop
{
    /// <summary>
    /// Builds an nt_config (nt_config_builder_new, the setters, nt_config_builder_build) from a
    /// proxy URL and CA locations. Which configuration to use, and keeping it, is ConfigCache's.
    /// </summary>
    internal static unsafe class NativeConfig
    {
        /// <summary>The step of a build that failed, so that the error can name the setting.</summary>
        internal enum Step
        {
            New,
            Proxy,
            CaFile,
            CaDir,
            Build,
        }

        /// <summary>
        /// A configuration with <paramref name="proxy"/> (null: direct), the CA file
        /// <paramref name="caFile"/> and the CA folders <paramref name="caDirs"/> (any may be
        /// null). On failure, the step that failed; the thread's last error says why.
        /// </summary>
        internal static NativeResult Build(string? proxy, string? caFile, string[]? caDirs, out ConfigHandle? config, out Step failed)
        {
            config = null;
            failed = Step.New;
            using (var builder = new ConfigBuilderHandle())
            {
                IntPtr raw;
                NativeResult result = NativeMethods.nt_config_builder_new(&raw);
                if (result != NativeResult.Ok)
                {
                    return result;
                }
                builder.Adopt(raw);

                if (proxy != null && (result = Set(builder, Step.Proxy, proxy)) != NativeResult.Ok)
                {
                    failed = Step.Proxy;
                    return result;
                }
                if (caFile != null && (result = Set(builder, Step.CaFile, caFile)) != NativeResult.Ok)
                {
                    failed = Step.CaFile;
                    return result;
                }
                foreach (string directory in caDirs ?? Array.Empty<string>())
                {
                    if ((result = Set(builder, Step.CaDir, directory)) != NativeResult.Ok)
                    {
                        failed = Step.CaDir;
                        return result;
                    }
                }

                var built = new ConfigHandle();
                IntPtr handle;
                result = NativeMethods.nt_config_builder_build(builder, &handle);
                builder.Consumed();
                if (result != NativeResult.Ok)
                {
                    failed = Step.Build;
                    built.Dispose();
                    return result;
                }
                built.Adopt(handle);
                config = built;
                return result;
            }
        }

        private static NativeResult Set(ConfigBuilderHandle builder, Step step, string value) =>
            Utf8Arguments.Pass(value, null, null, ref builder, step == Step.Proxy ? SetProxy : step == Step.CaFile ? AddCaFile : AddCaDir);

        private static readonly Utf8Arguments.Call<ConfigBuilderHandle> SetProxy =
            (ref ConfigBuilderHandle builder, Utf8Arguments.Utf8 value, Utf8Arguments.Utf8 _) => NativeMethods.nt_config_builder_set_proxy(builder, value.Bytes, value.Length);

        private static readonly Utf8Arguments.Call<ConfigBuilderHandle> AddCaFile =
            (ref ConfigBuilderHandle builder, Utf8Arguments.Utf8 value, Utf8Arguments.Utf8 _) => NativeMethods.nt_config_builder_add_ca_file(builder, value.Bytes, value.Length);

        private static readonly Utf8Arguments.Call<ConfigBuilderHandle> AddCaDir =
            (ref ConfigBuilderHandle builder, Utf8Arguments.Utf8 value, Utf8Arguments.Utf8 _) => NativeMethods.nt_config_builder_add_ca_dir(builder, value.Bytes, value.Length);
    }
}
