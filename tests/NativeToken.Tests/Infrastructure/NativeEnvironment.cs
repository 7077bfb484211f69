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
/// Two emulators, started here and kept for the whole run, have their certificates trusted this
/// way (SSL_CERT_FILE names a bundle of both): <see cref="Trusted"/>, whose certificate names
/// this machine and which the HTTPS tests (Armor) use, and <see cref="WrongHost"/>, whose
/// certificate names another host. Every other emulator's certificate stays untrusted, which
/// the TLS failure tests rely on.
/// </para>
/// </summary>
public static class NativeEnvironment
{
    /// <summary>Seconds before a native call gives up: short, for the hang test.</summary>
    public const int TimeoutSeconds = 5;

    /// <summary>The only name in <see cref="WrongHost"/>'s certificate.</summary>
    public const string WrongHostName = "tlspc.wrong-host.example";

    private static readonly object Gate = new();
    private static Emulator? _trusted;
    private static Emulator? _wrongHost;

    /// <summary>The emulator whose certificate SSL_CERT_FILE names (HTTP and HTTPS listeners).</summary>
    public static Emulator Trusted
    {
        get
        {
            EnsureInitialized();
            return _trusted!;
        }
    }

    /// <summary>
    /// An emulator whose certificate is trusted but names only <see cref="WrongHostName"/>, so a
    /// call to it as localhost or 127.0.0.1 fails the host name check.
    /// </summary>
    public static Emulator WrongHost
    {
        get
        {
            EnsureInitialized();
            return _wrongHost!;
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
            var wrongHost = Emulator.Start("--cert-out", Path.Combine(folder, "wrong-host-cert.pem"), "--cert-names", WrongHostName);
            string bundle = Path.Combine(folder, "trusted-bundle.pem");
            File.WriteAllText(bundle, File.ReadAllText(CertificateOf(trusted)) + File.ReadAllText(CertificateOf(wrongHost)));
            SetProcessVariable("SSL_CERT_FILE", bundle);
            SetProcessVariable("NATIVETOKEN_TIMEOUT_SEC", TimeoutSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture));
            _trusted = trusted;
            _wrongHost = wrongHost;
            AppDomain.CurrentDomain.ProcessExit += (_, _) =>
            {
                // At once: the test host may end the process before a second, sequential stop.
                Parallel.Invoke(trusted.Dispose, wrongHost.Dispose);
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

    private static string CertificateOf(Emulator emulator) =>
        emulator.CertPath ?? throw new InvalidOperationException("The emulator did not announce its certificate.");

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
