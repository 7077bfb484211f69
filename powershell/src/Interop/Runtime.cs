using System;
using System.Runtime.InteropServices;

namespace NativeToken.Interop
{
    /// <summary>Facts about the runtime the module runs on, read once.</summary>
    internal static class Runtime
    {
        /// <summary>Windows PowerShell 5.1 (.NET Framework) rather than PowerShell 7 (.NET).</summary>
        internal static readonly bool IsNetFramework =
            RuntimeInformation.FrameworkDescription.StartsWith(".NET Framework", StringComparison.Ordinal);

        internal static readonly bool IsWindows = RuntimeInformation.IsOSPlatform(OSPlatform.Windows);
    }
}
