using System.Runtime.InteropServices;

namespace NativeToken.Tests.Infrastructure;

/// <summary>
/// Process-wide set-up that must happen before the native library makes its HTTP client.
/// <para>
/// The library builds one client per process, on first use, and OpenSSL reads
/// <c>SSL_CERT_FILE</c> then. .NET's <see cref="Environment.SetEnvironmentVariable(string, string)"/>
/// does not change the native environment on Unix, so the variables are set with libc
/// <c>setenv</c> too. Every fixture calls <see cref="EnsureInitialized"/> before it opens a
/// runspace, so the variables are in place before any test reaches the library.
/// </para>
/// <para>
/// One emulator, started here and kept for the whole run, has its certificate trusted this way;
/// the HTTPS tests (Armor) use it. Every other emulator's certificate stays untrusted, which
/// the TLS failure test relies on.
/// </para>
/// </summary>
public static class NativeEnvironment
{
    /// <summary>Seconds before a native call gives up: short, for the hang test.</summary>
    public const int TimeoutSeconds = 5;

    private static readonly object Gate = new();
    private static Emulator? _trusted;

    /// <summary>The emulator whose certificate SSL_CERT_FILE names (HTTP and HTTPS listeners).</summary>
    public static Emulator Trusted
    {
        get
        {
            EnsureInitialized();
            return _trusted!;
        }
    }

    public static void EnsureInitialized()
    {
        lock (Gate)
        {
            if (_trusted is not null)
            {
                return;
            }
            RepoPaths.RequireBuiltArtifacts();
            SetProcessVariable("POWERSHELL_TELEMETRY_OPTOUT", "1");
            SetProcessVariable("POWERSHELL_UPDATECHECK", "Off");

            string folder = Path.Combine(Path.GetTempPath(), $"nativetoken-tests-{Environment.ProcessId}");
            Directory.CreateDirectory(folder);
            var trusted = Emulator.Start("--cert-out", Path.Combine(folder, "emulator-cert.pem"));
            SetProcessVariable("SSL_CERT_FILE", trusted.CertPath ?? throw new InvalidOperationException("The emulator did not announce its certificate."));
            SetProcessVariable("NATIVETOKEN_TIMEOUT_SEC", TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _trusted = trusted;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                trusted.Dispose();
                try
                {
                    Directory.Delete(folder, recursive: true);
                }
                catch (IOException)
                {
                }
                catch (UnauthorizedAccessException)
                {
                }
            };
        }
    }

    private static void SetProcessVariable(string name, string value)
    {
        Environment.SetEnvironmentVariable(name, value);
        if (!OperatingSystem.IsWindows())
        {
            // On Windows SetEnvironmentVariable already changes the process block the library reads.
            int result = OperatingSystem.IsMacOS() ? setenv_macos(name, value, 1) : setenv_linux(name, value, 1);
            if (result != 0)
            {
                throw new InvalidOperationException($"setenv({name}) failed: errno {Marshal.GetLastPInvokeError()}");
            }
        }
    }

    [DllImport("libc.so.6", EntryPoint = "setenv", SetLastError = true)]
    private static extern int setenv_linux([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);

    [DllImport("libSystem.dylib", EntryPoint = "setenv", SetLastError = true)]
    private static extern int setenv_macos([MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int overwrite);
}
