using System.Management.Automation;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>
    /// Runs when PowerShell imports NativeToken.dll (also as a nested module of NativeToken.psd1,
    /// in every runspace that imports it): loads the native library for this platform, so that a
    /// missing or stale library fails the import with a clear message instead of the first call.
    /// Nothing else is done at import.
    /// </summary>
    public sealed class ModuleAssemblyInitializer : IModuleAssemblyInitializer
    {
        /// <inheritdoc/>
        public void OnImport() => LibraryLoader.EnsureLoaded();
    }
}
