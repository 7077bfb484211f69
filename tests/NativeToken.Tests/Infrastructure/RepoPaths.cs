using System.Runtime.InteropServices;

namespace NativeToken.Tests.Infrastructure;

/// <summary>
/// Where the module, the native library, the emulator and the reference help files are.
/// The tests build nothing: the test script builds the library and the emulator first.
/// </summary>
public static class RepoPaths
{
    private static readonly Lazy<string> RootLazy = new(FindRoot);

    /// <summary>The repository root (the folder holding Cargo.toml and powershell/NativeToken).</summary>
    public static string Root => RootLazy.Value;

    public static string ModuleDirectory => Path.Combine(Root, "powershell", "NativeToken");

    public static string ModuleManifest => Path.Combine(ModuleDirectory, "NativeToken.psd1");

    /// <summary>lib/&lt;rid&gt;/&lt;file&gt; for this machine, as the module picks it.</summary>
    public static string NativeLibrary => Path.Combine(ModuleDirectory, "lib", Rid, NativeLibraryFileName);

    public static string NativeLibraryFileName =>
        OperatingSystem.IsWindows() ? "native_token.dll"
        : OperatingSystem.IsMacOS() ? "libnative_token.dylib"
        : "libnative_token.so";

    public static string Rid
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "arm64" : "x64";
            return $"{os}-{arch}";
        }
    }

    /// <summary>The emulator binary; NATIVETOKEN_EMULATOR overrides the default debug build path.</summary>
    public static string Emulator =>
        Environment.GetEnvironmentVariable("NATIVETOKEN_EMULATOR") is { Length: > 0 } overridden
            ? overridden
            : Path.Combine(Root, "target", "debug", OperatingSystem.IsWindows() ? "native-token-emulator.exe" : "native-token-emulator");

    /// <summary>shared/reference beside the repository (../shared/reference from the root).</summary>
    public static string ReferenceDirectory => Path.GetFullPath(Path.Combine(Root, "..", "shared", "reference"));

    public static string CargoToml => Path.Combine(Root, "Cargo.toml");

    /// <summary>Fails with a message that says how to build what is missing.</summary>
    public static void RequireBuiltArtifacts()
    {
        var missing = new List<string>();
        if (!File.Exists(NativeLibrary))
        {
            missing.Add($"the native library {NativeLibrary} (build it: cd {Root} && scripts/cargo build --release -p native_token && " +
                        $"mkdir -p powershell/NativeToken/lib/{Rid} && cp target/release/{NativeLibraryFileName} powershell/NativeToken/lib/{Rid}/)");
        }
        if (!File.Exists(Emulator))
        {
            missing.Add($"the emulator {Emulator} (build it: cd {Root} && scripts/cargo build -p native-token-emulator)");
        }
        if (missing.Count > 0)
        {
            throw new InvalidOperationException("NativeToken tests need prebuilt artifacts; missing: " + string.Join("; ", missing));
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Cargo.toml")) &&
                File.Exists(Path.Combine(dir.FullName, "powershell", "NativeToken", "NativeToken.psd1")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException(
            $"Cannot find the repository root (a folder with Cargo.toml and powershell/NativeToken/NativeToken.psd1) above {AppContext.BaseDirectory}.");
    }
}
