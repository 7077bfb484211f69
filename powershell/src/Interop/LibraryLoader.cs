using System;
using System.ComponentModel;
using System.IO;
using System.Reflection;
using System.Runtime.InteropServices;

namespace NativeToken.Interop
{
    /// <summary>
    /// Finds and loads the native library for this process from lib/&lt;os&gt;-&lt;arch&gt;/ beside
    /// NativeToken.dll (.NET probes only the assembly's own folder and the runtime's), and
    /// checks that it is the build the module was made with. Runs at import
    /// (<see cref="ModuleAssemblyInitializer"/>): a module without a library for this platform, or
    /// with a stale one, fails to import with a message that says what was looked for.
    /// </summary>
    internal static class LibraryLoader
    {
        private static readonly object Gate = new object();

        // The loaded library (dlopen / LoadLibrary handle); set once per process.
        private static IntPtr s_library;

        // Where it was loaded from.
        private static string? s_path;

        // Whether the loaded library's nt_version() was found equal to the module's version.
        private static bool s_verified;

        internal static void EnsureLoaded()
        {
            lock (Gate)
            {
                if (s_verified)
                {
                    return;
                }
                if (s_library == IntPtr.Zero)
                {
                    string path = LibraryPath(out string rid);
                    if (!File.Exists(path))
                    {
                        throw new FileNotFoundException(
                            "NativeToken: the native library for " + rid + " is missing. Expected it at '" + path +
                            "' (folder '" + Path.GetDirectoryName(path) + "'). This copy of the module has no build for " + rid +
                            ": install a NativeToken package that includes lib/" + rid + "/" + Path.GetFileName(path) +
                            ", or build it from source with scripts/build.",
                            path);
                    }
                    s_library = Runtime.IsNetFramework ? LoadWithLoadLibrary(path) : LoadWithNativeLibrary(path);
                    s_path = path;
                }
                CheckVersion();
                s_verified = true;
            }
        }

        /// <summary>lib/&lt;rid&gt;/&lt;file&gt; beside this assembly, for this OS and process architecture.</summary>
        private static string LibraryPath(out string rid)
        {
            string os;
            string file;
            if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
            {
                os = "win";
                file = "native_token.dll";
            }
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.Linux))
            {
                os = "linux";
                file = "libnative_token.so";
            }
            else if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
            {
                os = "osx";
                file = "libnative_token.dylib";
            }
            else
            {
                throw new PlatformNotSupportedException(
                    "NativeToken: this operating system is not supported (the module ships native libraries for Windows, Linux and macOS only): " +
                    Environment.OSVersion.VersionString + ".");
            }
            string arch;
            switch (RuntimeInformation.ProcessArchitecture)
            {
                case Architecture.X64:
                    arch = "x64";
                    break;
                case Architecture.Arm64:
                    arch = "arm64";
                    break;
                default:
                    throw new PlatformNotSupportedException(
                        "NativeToken: the process architecture '" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant() +
                        "' is not supported (only x64 and arm64 are); run a 64-bit PowerShell.");
            }
            rid = os + "-" + arch;
            string location = typeof(LibraryLoader).Assembly.Location;
            if (string.IsNullOrEmpty(location))
            {
                throw new InvalidOperationException(
                    "NativeToken: NativeToken.dll was not loaded from a file, so the native library (lib/" + rid + "/" + file +
                    " beside it) cannot be found. Import the module from its folder (Import-Module NativeToken).");
            }
            return Path.GetFullPath(Path.Combine(Path.GetDirectoryName(location)!, "lib", rid, file));
        }

        /// <summary>
        /// .NET (Core): NativeLibrary.Load, and a DllImport resolver that hands that library to
        /// every [DllImport("native_token")] of this assembly. Both are reached by reflection
        /// (netstandard2.0 lacks them), once per process.
        /// </summary>
        private static IntPtr LoadWithNativeLibrary(string path)
        {
            Assembly coreLib = typeof(GCHandle).Assembly;
            Type nativeLibrary = coreLib.GetType("System.Runtime.InteropServices.NativeLibrary", throwOnError: true)!;
            Type resolverType = coreLib.GetType("System.Runtime.InteropServices.DllImportResolver", throwOnError: true)!;
            MethodInfo load = nativeLibrary.GetMethod("Load", new[] { typeof(string) })!;
            MethodInfo setResolver = nativeLibrary.GetMethod("SetDllImportResolver", new[] { typeof(Assembly), resolverType })!;

            IntPtr library;
            try
            {
                library = (IntPtr)load.Invoke(null, new object[] { path })!;
            }
            catch (TargetInvocationException e) when (e.InnerException != null)
            {
                throw new DllNotFoundException(
                    "NativeToken: the native library '" + path + "' could not be loaded: " + e.InnerException.Message, e.InnerException);
            }

            MethodInfo resolve = typeof(LibraryLoader).GetMethod(nameof(Resolve), BindingFlags.NonPublic | BindingFlags.Static)!;
            Delegate resolver = Delegate.CreateDelegate(resolverType, resolve);
            try
            {
                setResolver.Invoke(null, new object[] { typeof(LibraryLoader).Assembly, resolver });
            }
            catch (TargetInvocationException e) when (e.InnerException is InvalidOperationException)
            {
                // A resolver is set already for this assembly: it is this one (Resolve reads s_library).
            }
            return library;
        }

        /// <summary>The DllImport resolver (a DllImportResolver delegate on .NET Core 3+).</summary>
        private static IntPtr Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
            libraryName == NativeMethods.Library ? s_library : IntPtr.Zero;

        /// <summary>
        /// .NET Framework (Windows PowerShell 5.1): loads the DLL by full path; the DllImports then
        /// bind to the module already loaded under the name native_token.dll.
        /// </summary>
        private static unsafe IntPtr LoadWithLoadLibrary(string path)
        {
            IntPtr library;
            fixed (char* p = path)
            {
                library = NativeMethods.LoadLibraryW(p);
            }
            if (library == IntPtr.Zero)
            {
                var error = new Win32Exception(Marshal.GetLastWin32Error());
                throw new DllNotFoundException("NativeToken: the native library '" + path + "' could not be loaded: " + error.Message, error);
            }
            return library;
        }

        /// <summary>nt_version() must be the module's version: a stale library would not fit the ABI.</summary>
        private static unsafe void CheckVersion()
        {
            string native = NativeText.FromCString(NativeMethods.nt_version());
            string module = ModuleVersion;
            if (!string.Equals(native, module, StringComparison.Ordinal))
            {
                throw new InvalidOperationException(
                    "NativeToken: the native library '" + s_path + "' is version " + native + ", but the module (NativeToken.dll) is version " + module +
                    ": they come from different builds. Reinstall the module (or run scripts/build) and start a new PowerShell session.");
            }
        }

        /// <summary>The module's version: the crate's, from Cargo.toml at build time.</summary>
        internal static string ModuleVersion => BuildInfo.Version;
    }
}
