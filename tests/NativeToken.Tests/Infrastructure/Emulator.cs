using System.Diagnostics;
using System.Text.Json;

namespace NativeToken.Tests.Infrastructure;

/// <summary>
/// One running native-token-emulator process. It announces its listeners on stdout
/// (<c>http: URL</c>, <c>https: URL</c>, <c>cert: PATH</c>, <c>ready</c>) and logs one line per
/// request on stderr and in its <c>--log</c> file (route, outcome and the assertion's
/// <c>sub</c>, never a secret).
/// </summary>
public sealed class Emulator : IDisposable
{
    /// <summary>A tenant GUID for TLSPC token paths.</summary>
    public const string Tenant = "2222c771-61f3-11ec-8a47-490a1e43c222";

    public const string TlspcRoute = "/v1/oauth2/v2.0/{tenant}/token";
    public const string ArmorTokenRoute = "/auth/token";

    private static readonly HttpClient StatsClient = new() { Timeout = TimeoutSpan(10) };

    private readonly Process _process;
    private readonly List<string> _log = new();

    private Emulator(Process process, string? http, string? https, string? cert, string logFile)
    {
        _process = process;
        HttpUrl = http;
        HttpsUrl = https;
        CertPath = cert;
        LogFile = logFile;
    }

    public string? HttpUrl { get; }

    public string? HttpsUrl { get; }

    public string? CertPath { get; }

    /// <summary>The TLSPC token endpoint on the HTTP listener (optionally with a per-request fault).</summary>
    public string TlspcEndpoint(string? fault = null, string tenant = Tenant) =>
        Require(HttpUrl, "http") + $"/v1/oauth2/v2.0/{tenant}/token" + (fault is null ? "" : "?fault=" + Uri.EscapeDataString(fault));

    /// <summary>The TLSPC token endpoint on the HTTPS listener.</summary>
    public string TlspcHttpsEndpoint(string tenant = Tenant) => Require(HttpsUrl, "https") + $"/v1/oauth2/v2.0/{tenant}/token";

    public int HttpsPort => new Uri(Require(HttpsUrl, "https")).Port;

    /// <summary>The file the emulator appends its request log to (<c>--log</c>), besides stderr.</summary>
    public string LogFile { get; }

    /// <summary>Request log lines received so far (stderr).</summary>
    public IReadOnlyList<string> Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToArray();
            }
        }
    }

    /// <summary>
    /// The stderr log once it holds a line for every request the statistics counted (waiting up
    /// to 5 s): the emulator writes a request's line before it answers, but stderr is read
    /// asynchronously, so the line may reach this process after the answer reached the client.
    /// </summary>
    public IReadOnlyList<string> SettledLog()
    {
        long counted = Stats().Values.Sum();
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (true)
        {
            var log = Log;
            if (log.Count(IsRequestLine) >= counted || DateTime.UtcNow >= deadline)
            {
                return log;
            }
            Thread.Sleep(20);
        }
    }

    /// <summary>Everything the emulator logged: the settled stderr lines and its log file.</summary>
    public IEnumerable<string> AllLogText()
    {
        using var stream = new FileStream(LogFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return SettledLog().Append(reader.ReadToEnd()).ToList();
    }

    /// <summary>Waits up to 5 s for a log line (stderr arrives asynchronously).</summary>
    public bool WaitForLog(Func<string, bool> predicate)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        do
        {
            if (Log.Any(predicate))
            {
                return true;
            }
            Thread.Sleep(20);
        }
        while (DateTime.UtcNow < deadline);
        return false;
    }

    public static Emulator Start(params string[] arguments)
    {
        string logFile = Path.Combine(Path.GetTempPath(), $"nativetoken-emulator-{Guid.NewGuid():N}.log");
        var start = new ProcessStartInfo(RepoPaths.Emulator)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments.Concat(new[] { "--log", logFile }))
        {
            start.ArgumentList.Add(argument);
        }
        var process = Process.Start(start) ?? throw new InvalidOperationException($"Cannot start {RepoPaths.Emulator}.");
        var stderr = new List<string>();
        string? http = null, https = null, cert = null;
        var ready = Task.Run(() =>
        {
            while (process.StandardOutput.ReadLine() is { } line)
            {
                if (line == "ready")
                {
                    return true;
                }
                int colon = line.IndexOf(": ", StringComparison.Ordinal);
                if (colon < 0)
                {
                    continue;
                }
                string value = line[(colon + 2)..].Trim();
                switch (line[..colon])
                {
                    case "http": http = value; break;
                    case "https": https = value; break;
                    case "cert": cert = value; break;
                }
            }
            return false;
        });
        Emulator? emulator = null;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }
            var target = emulator?._log ?? stderr;
            lock (target)
            {
                target.Add(e.Data);
            }
        };
        process.BeginErrorReadLine();

        if (!ready.Wait(TimeoutSpan(60)) || !ready.Result)
        {
            string exited = process.HasExited ? $"exited with {process.ExitCode}" : "did not announce 'ready' within 60 s";
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
            }
            string errors;
            lock (stderr)
            {
                errors = string.Join(Environment.NewLine, stderr);
            }
            File.Delete(logFile);
            throw new InvalidOperationException($"The emulator {exited}. stderr:{Environment.NewLine}{errors}");
        }
        emulator = new Emulator(process, http, https, cert, logFile);
        lock (stderr)
        {
            emulator._log.AddRange(stderr);
        }
        // Keep draining stdout so the emulator never blocks on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync();
        return emulator;
    }

    /// <summary>Requests received per route, from <c>GET /_emulator/stats</c> on the HTTP listener.</summary>
    public IReadOnlyDictionary<string, long> Stats()
    {
        string json = StatsClient.GetStringAsync(Require(HttpUrl, "http") + "/_emulator/stats").GetAwaiter().GetResult();
        using var document = JsonDocument.Parse(json);
        var result = new Dictionary<string, long>();
        foreach (var property in document.RootElement.GetProperty("requests").EnumerateObject())
        {
            result[property.Name] = property.Value.GetInt64();
        }
        return result;
    }

    public long Requests(string route) => Stats().TryGetValue(route, out long count) ? count : 0;

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        File.Delete(LogFile);
    }

    /// <summary>A request line, as opposed to a note such as a failed TLS handshake.</summary>
    private static bool IsRequestLine(string line) => !line.Contains(" note: ", StringComparison.Ordinal);

    private static string Require(string? url, string what) =>
        url ?? throw new InvalidOperationException($"This emulator was started without its {what} listener.");

    private static TimeSpan TimeoutSpan(int seconds) => TimeSpan.FromSeconds(seconds);
}
