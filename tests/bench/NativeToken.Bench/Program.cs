// NativeToken benchmark host. Started by tests/bench/run, which builds everything, starts the
// emulator and sets SSL_CERT_FILE to its certificate before this process starts (so the native
// library and .NET's HttpClient both trust it from their first call).
//
// It hosts the PowerShell engine in-process (InitialSessionState.CreateDefault2, as the module's
// own host does), measures the module against its baselines, and prints "name: value" lines
// (also written to <out>/summary.txt), raw samples to <out>/samples/ and a latency chart to
// <out>/latency.svg. It is a benchmark: it never fails because a goal is not met.

using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Diagnostics;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Text;
using System.Threading;

namespace NativeToken.Bench;

internal sealed class Options
{
    public string Repo = "";
    public string Module = "";
    public string Http = "";
    public string Https = "";
    public string NativeFloor = "";
    public string Out = "";
    public int EmulatorPid;
    public bool Quick;
    public bool BaselinesOnly;
    public int PinCpu = -1;

    public static Options Parse(string[] args)
    {
        var o = new Options();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--repo": o.Repo = Next(); break;
                case "--module": o.Module = Next(); break;
                case "--http": o.Http = Next().TrimEnd('/'); break;
                case "--https": o.Https = Next().TrimEnd('/'); break;
                case "--native-floor": o.NativeFloor = Next(); break;
                case "--out": o.Out = Next(); break;
                case "--emulator-pid": o.EmulatorPid = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--quick": o.Quick = true; break;
                case "--baselines-only": o.BaselinesOnly = true; break;
                case "--pin-cpu": o.PinCpu = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                default: throw new ArgumentException($"unknown argument {args[i]}");
            }
        }
        if (o.Repo == "" || o.Http == "" || o.Https == "" || o.Out == "")
            throw new ArgumentException("usage: NativeToken.Bench --repo DIR --http URL --https URL --out DIR [--module PSD1] [--native-floor EXE] [--emulator-pid PID] [--quick] [--baselines-only] [--pin-cpu N]\n       NativeToken.Bench --replot DIR   (redraw DIR/latency.svg from DIR/samples)");
        if (o.Module == "") o.Module = Path.Combine(o.Repo, "powershell", "NativeToken", "NativeToken.psd1");
        int cpus = Math.Min(Environment.ProcessorCount, 64);  // Pin's mask is one 64-bit word
        if (o.PinCpu >= cpus) throw new ArgumentException($"--pin-cpu {o.PinCpu}: this machine has CPUs 0..{cpus - 1}");
        return o;
    }
}

/// <summary>How many rounds and calls each part of the benchmark makes.</summary>
internal sealed class Plan
{
    public int ImportRounds, LatencyRounds, CallsPerRound, NativeWarmup;
    // Warm-up per series: PowerShell functions and .NET's tiered JIT take thousands of calls to
    // reach steady state (an empty advanced function went from ~200 to ~30 us over 5,000 calls),
    // so each series is warmed up to WarmupCalls calls or WarmupSeconds, whichever comes first.
    public int WarmupCalls; public double WarmupSeconds;
    public int ThroughputRounds, ThroughputCalls, RssWarmup, RssCalls, RssSegments, BreakdownRounds, BreakdownCalls;

    public static Plan For(bool quick) => quick
        ? new Plan { ImportRounds = 7, LatencyRounds = 8, CallsPerRound = 150, NativeWarmup = 50, WarmupCalls = 3000, WarmupSeconds = 4,
                     ThroughputRounds = 7, ThroughputCalls = 300, RssWarmup = 2000, RssCalls = 10000, RssSegments = 3,
                     BreakdownRounds = 4, BreakdownCalls = 150 }
        : new Plan { ImportRounds = 21, LatencyRounds = 40, CallsPerRound = 250, NativeWarmup = 50, WarmupCalls = 6000, WarmupSeconds = 10,
                     ThroughputRounds = 41, ThroughputCalls = 600, RssWarmup = 2000, RssCalls = 10000, RssSegments = 5,
                     BreakdownRounds = 16, BreakdownCalls = 250 };
}

/// <summary>One thing whose per-call latency is measured, in rounds interleaved with the others.</summary>
internal sealed class Series
{
    public required string Name;   // metric prefix, e.g. vc_call
    public required string Label;  // chart legend
    public required string Color;
    public required Func<int, double[]> Round;  // runs N calls, returns microseconds per call
    public bool InChart = true;
    public readonly List<double> Samples = new();
    public readonly List<double> RoundMedians = new();
}

internal static class Program
{
    /// <summary>Legend and colour of each charted series.</summary>
    private static readonly Dictionary<string, (string Label, string Color)> Look = new()
    {
        ["vc_call"] = ("module New-VcToken, HTTP", "#d62728"),
        ["vc_call_tls"] = ("module New-VcToken, HTTPS", "#ff7f0e"),
        ["ps_httpclient"] = ("PowerShell + new HttpClient, HTTP", "#1f77b4"),
        ["ps_httpclient_tls"] = ("PowerShell + new HttpClient, HTTPS", "#17becf"),
        ["native_floor"] = ("C ABI floor (native loop), HTTP", "#2ca02c"),
        ["native_floor_tls"] = ("C ABI floor (native loop), HTTPS", "#98df8a"),
        ["ps_empty_fn"] = ("empty advanced function", "#7f7f7f"),
    };

    private const string TenantGuid = "2222c771-61f3-11ec-8a47-490a1e43c222";
    private static readonly List<(string Name, string Value)> Results = new();
    private static readonly Stopwatch Clock = Stopwatch.StartNew();

    private static int Main(string[] args)
    {
        CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
        CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
        Environment.SetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT", "1");
        Options o;
        if (args.Length == 2 && args[0] == "--replot")
        {
            // Redraws <dir>/latency.svg from the samples of an earlier run.
            var found = Look.Keys.Where(k => File.Exists(Path.Combine(args[1], "samples", k + "_us.txt"))).Select(k =>
            {
                var s = new Series { Name = k, Label = Look[k].Label, Color = Look[k].Color, Round = _ => Array.Empty<double>() };
                s.Samples.AddRange(File.ReadLines(Path.Combine(args[1], "samples", k + "_us.txt")).Select(l => double.Parse(l, CultureInfo.InvariantCulture)));
                return s;
            }).ToList();
            WriteSvg(Path.Combine(args[1], "latency.svg"), found, File.ReadAllText(Path.Combine(args[1], "summary.txt")).Contains("mode: quick"));
            return 0;
        }
        try { o = Options.Parse(args); }
        catch (ArgumentException e) { Console.Error.WriteLine(e.Message); return 2; }
        try
        {
            Run(o);
            return 0;
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"bench: FAILED: {e}");
            return 1;
        }
    }

    private static void Progress(string message) =>
        Console.Error.WriteLine($"[bench {Clock.Elapsed.TotalSeconds,6:F1}s] {message}");

    private static void Add(string name, string value)
    {
        Results.Add((name, value));
        Console.Error.WriteLine($"[bench {Clock.Elapsed.TotalSeconds,6:F1}s]   {name}: {value}");
    }

    private static void Run(Options o)
    {
        var plan = Plan.For(o.Quick);
        Directory.CreateDirectory(o.Out);
        Directory.CreateDirectory(Path.Combine(o.Out, "samples"));
        if (string.IsNullOrEmpty(Environment.GetEnvironmentVariable("SSL_CERT_FILE")))
            Progress("warning: SSL_CERT_FILE is not set: HTTPS to the emulator will not be trusted");

        string jwt = MakeJwt(DateTimeOffset.UtcNow.AddDays(2).ToUnixTimeSeconds());
        string httpEndpoint = $"{o.Http}/v1/oauth2/v2.0/{TenantGuid}/token";
        string httpsEndpoint = $"{o.Https}/v1/oauth2/v2.0/{TenantGuid}/token";
        string baselines = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Baselines.ps1"));

        AddMachineInfo(o);

        // 1. Import: first, so that the first round is the cold import of a new process.
        Progress($"import: {plan.ImportRounds} fresh runspaces, Import-Module {o.Module}");
        var imports = MeasureImports(o.Module, plan.ImportRounds);
        File.WriteAllLines(Path.Combine(o.Out, "samples", "import_ms.txt"), imports.Select(F3));

        // 2. Runspaces for the call benchmarks: module + baselines in each.
        Progress("setting up two runspaces (module + baselines)");
        using var rs1 = OpenRunspace();
        using var rs2 = OpenRunspace();
        foreach (var rs in new[] { rs1, rs2 })
        {
            if (!o.BaselinesOnly) Invoke(rs, "param($p) Import-Module $p", o.Module);
            Invoke(rs, baselines, useLocalScope: false);
        }

        if (Environment.GetEnvironmentVariable("NTBENCH_ONLY_INSIDE") == "1")
        {
            // Development aid: only the in-function breakdown.
            MeasureInside(rs1, httpEndpoint, jwt, plan);
            Console.Out.Write(string.Join("", Results.Select(r => $"{r.Name}: {r.Value}\n")));
            return;
        }

        // 3. The latency series, measured in interleaved rounds.
        var series = new List<Series>();
        if (!o.BaselinesOnly)
        {
            series.Add(PsSeries("vc_call", rs1, "New-VcToken", httpEndpoint, jwt));
            series.Add(PsSeries("vc_call_tls", rs1, "New-VcToken", httpsEndpoint, jwt));
        }
        series.Add(PsSeries("ps_httpclient", rs1, "Invoke-PsHttpClientVcToken", httpEndpoint, jwt));
        series.Add(PsSeries("ps_httpclient_tls", rs1, "Invoke-PsHttpClientVcToken", httpsEndpoint, jwt));
        if (o.NativeFloor != "")
        {
            series.Add(NativeSeries("native_floor", o.NativeFloor, httpEndpoint, jwt, plan.NativeWarmup));
            series.Add(NativeSeries("native_floor_tls", o.NativeFloor, httpsEndpoint, jwt, plan.NativeWarmup));
        }
        series.Add(PsSeries("ps_empty_fn", rs1, "Invoke-EmptyVcToken", httpEndpoint, jwt));
        var timer = PsTimerSeries(rs1);
        series.Add(timer);

        Progress("checking what each PowerShell command returns");
        if (!o.BaselinesOnly) CheckOutput(rs1, "New-VcToken", httpEndpoint, jwt, "check_vc_call", strict: true);
        if (!o.BaselinesOnly) CheckOutput(rs1, "New-VcToken", httpsEndpoint, jwt, "check_vc_call_tls", strict: true);
        CheckOutput(rs1, "Invoke-PsHttpClientVcToken", httpEndpoint, jwt, "check_ps_httpclient", strict: true);
        CheckOutput(rs1, "Invoke-PsHttpClientVcToken", httpsEndpoint, jwt, "check_ps_httpclient_tls", strict: true);
        CheckOutput(rs1, "Invoke-EmptyVcToken", httpEndpoint, jwt, "check_ps_empty_fn", strict: true);

        // --pin-cpu N: the calling thread (which runs every PowerShell loop and starts native_floor)
        // and the emulator share CPU N for all but the throughput rounds; see BENCHMARKS.md.
        PinLayout(o, pinned: true);
        Add("layout", o.PinCpu >= 0 ? $"pinned: the measuring thread and the emulator on cpu {o.PinCpu} (throughput rounds unpinned)" : "free: the scheduler places every thread");
        Progress($"warm-up: up to {plan.WarmupCalls} calls or {plan.WarmupSeconds} s of each series");
        foreach (var s in series) Warmup(s, plan);

        Progress($"latency: {plan.LatencyRounds} interleaved rounds x {plan.CallsPerRound} calls of {series.Count} series");
        for (int r = 0; r < plan.LatencyRounds; r++)
        {
            // Rotate the order each round so that no series always runs right after another.
            for (int k = 0; k < series.Count; k++)
            {
                var s = series[(k + r) % series.Count];
                var us = s.Round(plan.CallsPerRound);
                s.Samples.AddRange(us);
                s.RoundMedians.Add(Percentile(us, 0.50));
            }
            if (r % 4 == 3 || r == plan.LatencyRounds - 1) Progress($"  round {r + 1}/{plan.LatencyRounds} done");
        }
        foreach (var s in series)
            File.WriteAllLines(Path.Combine(o.Out, "samples", s.Name + "_us.txt"), s.Samples.Select(F3));

        PinLayout(o, pinned: false);
        // 4. Throughput, serial (1 runspace) and parallel (2 runspaces on 2 threads), interleaved.
        (double serial, double parallel)? tput = null;
        if (!o.BaselinesOnly)
        {
            Progress($"throughput: {plan.ThroughputRounds} interleaved rounds of serial ({plan.ThroughputCalls} calls) and parallel (2 x {plan.ThroughputCalls} calls)");
            tput = MeasureThroughput(o, plan, rs1, rs2, httpEndpoint, jwt);
        }
        PinLayout(o, pinned: true);

        // 5. Where the time of one module call goes: its parts, timed alone in the module's scope.
        List<(string name, double p50)>? breakdown = null;
        if (!o.BaselinesOnly)
        {
            Progress($"breakdown: {plan.BreakdownRounds} interleaved rounds x {plan.BreakdownCalls} calls of each part, in the module's scope");
            breakdown = MeasureBreakdown(rs1, httpEndpoint, jwt, plan);
            Progress("inside: an instrumented copy of New-VcToken, a timestamp before each statement");
            MeasureInside(rs1, httpEndpoint, jwt, plan);
        }

        // 6. Resident memory over 10,000 calls.
        Progress($"rss: warm-up {plan.RssWarmup} calls, then {plan.RssSegments} x {plan.RssCalls} calls");
        var rssEmpty = MeasureRss(rs1, "Invoke-EmptyVcToken", httpEndpoint, jwt, plan);
        double[]? rssModule = o.BaselinesOnly ? null : MeasureRss(rs1, "New-VcToken", httpEndpoint, jwt, plan);

        double[]? nativeStats = null;
        if (o.NativeFloor != "")
        {
            var line = RunProcess(o.NativeFloor, "--stats", httpEndpoint, jwt, plan.RssWarmup.ToString(CultureInfo.InvariantCulture),
                plan.RssCalls.ToString(CultureInfo.InvariantCulture))[0];
            nativeStats = line.Split(' ').Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        }

        Report(o, plan, imports, series, tput, rssModule, rssEmpty, breakdown, nativeStats);
        WriteSvg(Path.Combine(o.Out, "latency.svg"), series.Where(s => s.InChart).ToList(), o.Quick);
        Add("bench_seconds", F1(Clock.Elapsed.TotalSeconds));

        var text = string.Join("", Results.Select(r => $"{r.Name}: {r.Value}\n"));
        File.WriteAllText(Path.Combine(o.Out, "summary.txt"), text);
        Console.Out.Write(text);
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, IntPtr size, ref ulong mask);

    /// <summary>With --pin-cpu N: puts the calling thread and the emulator (one thread) on CPU N,
    /// or lets both run on every CPU again. Without it: nothing.</summary>
    private static void PinLayout(Options o, bool pinned)
    {
        if (o.PinCpu < 0) return;
        int cpu = pinned ? o.PinCpu : -1;
        Pin(0, cpu);
        Pin(o.EmulatorPid, cpu);
        if (pinned) Progress($"pinned this thread and the emulator to cpu {cpu}");
    }

    /// <summary>Restricts one thread (0: the calling thread; a pid: that process's main thread)
    /// to one CPU, or with cpu -1 lets it run on all of them again.</summary>
    private static void Pin(int tid, int cpu)
    {
        int cpus = Math.Min(Environment.ProcessorCount, 64);
        ulong mask = cpu >= 0 ? 1UL << cpu : cpus == 64 ? ulong.MaxValue : (1UL << cpus) - 1;
        if (sched_setaffinity(tid, (IntPtr)8, ref mask) != 0)
            throw new InvalidOperationException($"sched_setaffinity({tid}, cpu {cpu}) failed: errno {System.Runtime.InteropServices.Marshal.GetLastWin32Error()}");
    }

    private static void Warmup(Series s, Plan plan)
    {
        if (s.Name.StartsWith("native", StringComparison.Ordinal)) { s.Round(5); return; }  // a new process each round
        var sw = Stopwatch.StartNew();
        int done = 0;
        while (done < plan.WarmupCalls && sw.Elapsed.TotalSeconds < plan.WarmupSeconds)
        {
            s.Round(250);
            done += 250;
        }
    }

    // ---------------------------------------------------------------- PowerShell plumbing

    private static Runspace OpenRunspace()
    {
        var rs = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        // Pipelines run on the thread that invokes them: no thread hop per Invoke, and --pin-cpu
        // pins what it measures.
        rs.ThreadOptions = PSThreadOptions.UseCurrentThread;
        rs.Open();
        Invoke(rs, "$ErrorActionPreference = 'Stop'; Set-StrictMode -Off", useLocalScope: false);
        return rs;
    }

    private static Collection<PSObject> Invoke(Runspace rs, string script, params object[] args) =>
        Invoke(rs, script, true, args);

    private static Collection<PSObject> Invoke(Runspace rs, string script, bool useLocalScope, params object[] args)
    {
        using var ps = PowerShell.Create();
        ps.Runspace = rs;
        ps.AddScript(script, useLocalScope);
        foreach (var a in args) ps.AddArgument(a);
        var result = ps.Invoke();
        if (ps.Streams.Error.Count > 0)
            throw new InvalidOperationException("PowerShell error: " + string.Join("; ", ps.Streams.Error.Select(e => e.ToString())));
        return result;
    }

    private static long[] InvokeTicks(Runspace rs, string script, params object[] args)
    {
        var r = Invoke(rs, script, args);
        if (r.Count != 1 || r[0].BaseObject is not long[] ticks)
            throw new InvalidOperationException("the timing loop did not return a long[]");
        return ticks;
    }

    private static double[] TicksToUs(long[] ticks) =>
        ticks.Select(t => t * 1e6 / Stopwatch.Frequency).ToArray();

    /// <summary>A loop that times each call with Stopwatch timestamps inside PowerShell, so the
    /// host's pipeline-invocation overhead is not counted.</summary>
    private static string TimingLoop(string command) => $$"""
        param([string]$e, [string]$j, [int]$n)
        $ts = [long[]]::new($n)
        for ($i = 0; $i -lt $n; $i++) {
            $t0 = [Diagnostics.Stopwatch]::GetTimestamp()
            $null = {{command}} -Endpoint $e -Jwt $j
            $ts[$i] = [Diagnostics.Stopwatch]::GetTimestamp() - $t0
        }
        , $ts
        """;

    private static Series PsSeries(string name, Runspace rs, string command, string endpoint, string jwt)
    {
        string loop = TimingLoop(command);
        return new Series
        {
            Name = name, Label = Look[name].Label, Color = Look[name].Color,
            Round = n => TicksToUs(InvokeTicks(rs, loop, endpoint, jwt, n)),
        };
    }

    /// <summary>The same loop with nothing between the two timestamps: the floor of the
    /// in-PowerShell timer itself (reported, not charted).</summary>
    private static Series PsTimerSeries(Runspace rs)
    {
        const string loop = """
            param([int]$n)
            $ts = [long[]]::new($n)
            for ($i = 0; $i -lt $n; $i++) {
                $t0 = [Diagnostics.Stopwatch]::GetTimestamp()
                $ts[$i] = [Diagnostics.Stopwatch]::GetTimestamp() - $t0
            }
            , $ts
            """;
        return new Series
        {
            Name = "ps_timer_floor", Label = "timer floor", Color = "#000000", InChart = false,
            Round = n => TicksToUs(InvokeTicks(rs, loop, n)),
        };
    }

    private static Series NativeSeries(string name, string exe, string endpoint, string jwt, int warmup) => new()
    {
        Name = name, Label = Look[name].Label, Color = Look[name].Color,
        Round = n =>
        {
            var lines = RunProcess(exe, endpoint, jwt, warmup.ToString(CultureInfo.InvariantCulture), n.ToString(CultureInfo.InvariantCulture));
            var us = lines.Where(l => l.Length > 0).Select(l => long.Parse(l, CultureInfo.InvariantCulture) / 1000.0).ToArray();
            if (us.Length != n) throw new InvalidOperationException($"{exe} returned {us.Length} samples, expected {n}");
            return us;
        },
    };

    private static string[] RunProcess(string exe, params string[] args)
    {
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {exe}");
        var stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"{exe} exited with {p.ExitCode}: {stderr.Result}");
        return stdout.Split('\n');
    }

    private static void CheckOutput(Runspace rs, string command, string endpoint, string jwt, string name, bool strict)
    {
        const string script = """
            param([string]$cmd, [string]$e, [string]$j)
            $r = & $cmd -Endpoint $e -Jwt $j
            $o = @($r)
            [pscustomobject]@{
                Count      = $o.Count
                Names      = @($o[0].psobject.Properties.Name) -join ','
                Endpoint   = $o[0].Endpoint -eq $e
                AccessUser = $o[0].AccessToken.UserName
                AccessLen  = $o[0].AccessToken.GetNetworkCredential().Password.Length
                JwtUser    = $o[0].JWT.UserName
                JwtSame    = $o[0].JWT.GetNetworkCredential().Password -ceq $j
                Kind       = $o[0].Expires.Kind.ToString()
                InSeconds  = [int]($o[0].Expires - [datetime]::UtcNow).TotalSeconds
            }
            """;
        var r = Invoke(rs, script, command, endpoint, jwt)[0];
        string Get(string p) => r.Properties[p].Value?.ToString() ?? "";
        bool ok = Get("Count") == "1" && Get("Names") == "Endpoint,AccessToken,JWT,Expires" && Get("Endpoint") == "True"
            && Get("AccessUser") == "AccessToken" && int.Parse(Get("AccessLen"), CultureInfo.InvariantCulture) > 0
            && Get("JwtUser") == "JWT" && Get("JwtSame") == "True" && Get("Kind") == "Utc"
            && int.Parse(Get("InSeconds"), CultureInfo.InvariantCulture) > 0;
        string detail = $"{Get("Names")}; access token {Get("AccessLen")} chars; Expires {Get("Kind")}, in {Get("InSeconds")} s";
        Add(name, (ok ? "ok (" : "WRONG (") + detail + ")");
        if (!ok && strict) throw new InvalidOperationException($"{command} does not return the New-VcToken object: {detail}");
    }

    // ---------------------------------------------------------------- import

    private static double[] MeasureImports(string module, int rounds)
    {
        const string script = """
            param([string]$p)
            $t0 = [Diagnostics.Stopwatch]::GetTimestamp()
            Import-Module $p
            $t1 = [Diagnostics.Stopwatch]::GetTimestamp()
            if (-not (Get-Module NativeToken)) { throw "Import-Module $p did not load a module named NativeToken" }
            $t1 - $t0
            """;
        var ms = new double[rounds];
        for (int r = 0; r < rounds; r++)
        {
            using var rs = OpenRunspace();  // not timed
            long ticks = (long)Invoke(rs, script, module)[0].BaseObject;
            ms[r] = ticks * 1000.0 / Stopwatch.Frequency;
        }
        return ms;
    }

    // ---------------------------------------------------------------- throughput

    private static (long self, long emulator) CpuTicks(int emulatorPid)
    {
        static long Read(string path)
        {
            try
            {
                string s = File.ReadAllText(path);
                var f = s[(s.LastIndexOf(')') + 2)..].Split(' ');
                return long.Parse(f[11], CultureInfo.InvariantCulture) + long.Parse(f[12], CultureInfo.InvariantCulture); // utime + stime
            }
            catch (IOException) { return 0; }
        }
        return (Read("/proc/self/stat"), emulatorPid > 0 ? Read($"/proc/{emulatorPid}/stat") : 0);
    }

    private static (double serial, double parallel) MeasureThroughput(Options o, Plan plan, Runspace rs1, Runspace rs2, string endpoint, string jwt)
    {
        const string loop = """
            param([string]$e, [string]$j, [int]$n)
            for ($i = 0; $i -lt $n; $i++) { $null = New-VcToken -Endpoint $e -Jwt $j }
            """;
        int n = plan.ThroughputCalls;
        Invoke(rs1, loop, endpoint, jwt, 50);
        Invoke(rs2, loop, endpoint, jwt, 50);
        var serial = new List<double>();
        var parallel = new List<double>();
        double serialWall = 0, parallelWall = 0;
        (long self, long emu) serialCpu = (0, 0), parallelCpu = (0, 0);
        for (int r = 0; r < plan.ThroughputRounds; r++)
        {
            for (int k = 0; k < 2; k++)
            {
                bool par = (k + r) % 2 == 1;
                var before = CpuTicks(o.EmulatorPid);
                double wall;
                if (!par)
                {
                    var sw = Stopwatch.StartNew();
                    Invoke(rs1, loop, endpoint, jwt, n);
                    wall = sw.Elapsed.TotalSeconds;
                    serial.Add(n / wall);
                    serialWall += wall;
                }
                else
                {
                    using var barrier = new Barrier(3);
                    Exception? failure = null;
                    var threads = new[] { rs1, rs2 }.Select(rs => new Thread(() =>
                    {
                        try
                        {
                            using var ps = PowerShell.Create();
                            ps.Runspace = rs;
                            ps.AddScript(loop).AddArgument(endpoint).AddArgument(jwt).AddArgument(n);
                            barrier.SignalAndWait();
                            ps.Invoke();
                            if (ps.Streams.Error.Count > 0) throw new InvalidOperationException(ps.Streams.Error[0].ToString());
                        }
                        catch (Exception e) { failure = e; }
                    })).ToArray();
                    foreach (var t in threads) t.Start();
                    barrier.SignalAndWait();
                    var sw = Stopwatch.StartNew();
                    foreach (var t in threads) t.Join();
                    wall = sw.Elapsed.TotalSeconds;
                    if (failure != null) throw new InvalidOperationException("parallel round failed", failure);
                    parallel.Add(2 * n / wall);
                    parallelWall += wall;
                }
                var after = CpuTicks(o.EmulatorPid);
                var d = (after.self - before.self, after.emulator - before.emulator);
                if (par) parallelCpu = (parallelCpu.self + d.Item1, parallelCpu.emu + d.Item2);
                else serialCpu = (serialCpu.self + d.Item1, serialCpu.emu + d.Item2);
            }
        }
        double hz = 100.0;  // USER_HZ; Linux reports /proc/*/stat in 1/100 s on every common configuration
        Add("serial_cpu_pct_bench", F0(100 * serialCpu.self / hz / serialWall));
        Add("serial_cpu_pct_emulator", F0(100 * serialCpu.emu / hz / serialWall));
        Add("parallel_cpu_pct_bench", F0(100 * parallelCpu.self / hz / parallelWall));
        Add("parallel_cpu_pct_emulator", F0(100 * parallelCpu.emu / hz / parallelWall));
        Add("emulator_cpu_us_per_call", F1(1e6 * (serialCpu.emu + parallelCpu.emu) / hz / (plan.ThroughputRounds * 3.0 * n)));
        Add("bench_cpu_us_per_call_serial", F1(1e6 * serialCpu.self / hz / (plan.ThroughputRounds * (double)n)));
        Add("serial_tokens_per_s_rounds", string.Join(" ", serial.Select(F0)));
        Add("parallel_tokens_per_s_rounds", string.Join(" ", parallel.Select(F0)));
        // Each round's parallel/serial pair ran back to back, so its ratio shares that moment's noise.
        Add("parallel_scaling_2cores_paired_median", F2(Median(serial.Zip(parallel, (a, b) => b / a))));
        return (Median(serial), Median(parallel));
    }

    // ---------------------------------------------------------------- breakdown

    /// <summary>Set-up run in the module's scope before each part's loop.</summary>
    private const string BreakdownPrelude = """
        $NT = $script:NT
        $Utf8 = $script:Utf8
        $eb = $Utf8.GetBytes($e); $jbx = $Utf8.GetBytes($j)
        $ebl = [UIntPtr]::new([uint32]$eb.Length); $jbl = [UIntPtr]::new([uint32]$jbx.Length)
        $u = $null
        $ta = [IntPtr[]]::new(1); $pa = [IntPtr[]]::new(1); $na = [UIntPtr[]]::new(1); $msa = [long[]]::new(1)
        if ($NT::nt_vc_token_fetch($eb, $ebl, $jbx, $jbl, 0, $ta) -ne 0) { throw 'breakdown: the setup fetch failed' }
        $tok = $ta[0]
        $acc = 'a' * 64
        $cred = [pscredential]::new('AccessToken', [System.Net.NetworkCredential]::new('', $acc).SecurePassword)
        $exp = [datetime]::UtcNow
        $obj = [pscustomobject]@{ Endpoint = $e; AccessToken = $cred; JWT = $cred; Expires = $exp }
        """;

    /// <summary>The parts of New-VcToken -Endpoint -Jwt, each a statement copied from the module's
    /// hot path (powershell/NativeToken/NativeToken.psm1) or the same work. The loop owns
    /// $e, $j, $n, $i, $t0 and $ts: the parts must not assign them.</summary>
    private static readonly (string Name, string Code)[] BreakdownParts =
    {
        ("module_call", "$null = New-VcToken -Endpoint $e -Jwt $j"),
        ("empty_fn", "$null = Invoke-EmptyVcToken -Endpoint $e -Jwt $j"),
        ("bind_only_fn", "$null = Invoke-BindOnlyVcToken -Endpoint $e -Jwt $j"),
        ("uri_validate", "$u = $e -as [uri]; $null = $u.IsAbsoluteUri -and ($u.Scheme -eq 'https' -or $u.Scheme -eq 'http')"),
        // The module's native success path, statement for statement.
        ("native_path", """
            $t = [IntPtr[]]::new(1); $p = [IntPtr[]]::new(1); $nb = [UIntPtr[]]::new(1); $ms = [long[]]::new(1)
            $eb2 = $Utf8.GetBytes($e); $jb = $Utf8.GetBytes($j); $jl = $jb.Length
            $rc = $NT::nt_vc_session_begin($eb2, [UIntPtr]::new([uint32]$eb2.Length), $jb, [UIntPtr]::new([uint32]$jl), 0, $t)
            [System.Array]::Clear($jb, 0, $jl)
            $tk = $t[0]
            $rc = $NT::nt_token_access_token($tk, $p, $nb)
            $access = [System.Runtime.InteropServices.Marshal]::PtrToStringUTF8($p[0], [int]$nb[0].ToUInt32())
            $rc = $NT::nt_token_expires_at_unix_ms($tk, $ms)
            $expires = [System.DateTimeOffset]::FromUnixTimeMilliseconds($ms[0]).UtcDateTime
            $null = $NT::nt_token_free($tk)
            """),
        // The bare P/Invoke of the same native call, and its free, from PowerShell.
        ("native_call_free", "$rc = $NT::nt_vc_session_begin($eb, $ebl, $jbx, $jbl, 0, $ta); $null = $NT::nt_token_free($ta[0])"),
        ("pinvoke_1out", "$rc = $NT::nt_token_expires_at_unix_ms($tok, $msa)"),
        ("pinvoke_2out", "$rc = $NT::nt_token_access_token($tok, $pa, $na)"),
        ("credentials_x2", "$c1 = [pscredential]::new('AccessToken', [System.Net.NetworkCredential]::new('', $acc).SecurePassword); $c2 = [pscredential]::new('JWT', [System.Net.NetworkCredential]::new('', $j).SecurePassword)"),
        ("token_object", "$x = [pscustomobject]@{ Endpoint = $e; AccessToken = $cred; JWT = $cred; Expires = $exp }"),
        ("session_object", "$x = [pscustomobject]@{ Platform = 'VC'; Server = $e; Token = $obj }"),
    };

    private static List<(string name, double p50)> MeasureBreakdown(Runspace rs, string endpoint, string jwt, Plan plan)
    {
        var parts = new List<Series>();
        var skipped = new List<string>();
        foreach (var (name, code) in BreakdownParts)
        {
            string body = $$"""
                param([string]$e, [string]$j, [int]$n)
                {{BreakdownPrelude}}
                $ts = [long[]]::new($n)
                for ($i = 0; $i -lt $n; $i++) {
                    $t0 = [Diagnostics.Stopwatch]::GetTimestamp()
                    {{code}}
                    $ts[$i] = [Diagnostics.Stopwatch]::GetTimestamp() - $t0
                }
                $null = $NT::nt_token_free($tok)
                , $ts
                """;
            string variable = "NtBench_" + name;
            Invoke(rs, $"param([string]$code) $global:{variable} = (Get-Module NativeToken).NewBoundScriptBlock([scriptblock]::Create($code))", body);
            string run = $"param([string]$e, [string]$j, [int]$n) & $global:{variable} $e $j $n";
            var part = new Series { Name = name, Label = name, Color = "", Round = n => TicksToUs(InvokeTicks(rs, run, endpoint, jwt, n)) };
            // The parts that call the module's interop type copy its hot path; when the module
            // binds differently (it is being changed), report the part as unavailable.
            try { part.Round(1); }
            catch (Exception e) when (name != "module_call")
            {
                Progress($"  breakdown part {name} does not run against this module ({e.GetBaseException().Message.Split('\n')[0]}); skipped");
                skipped.Add(name);
                continue;
            }
            parts.Add(part);
        }
        var warm = new Plan { WarmupCalls = 2000, WarmupSeconds = 2 };
        foreach (var s in parts) Warmup(s, warm);
        for (int r = 0; r < plan.BreakdownRounds; r++)
            for (int k = 0; k < parts.Count; k++)
            {
                var s = parts[(k + r) % parts.Count];
                s.Samples.AddRange(s.Round(plan.BreakdownCalls));
            }
        return parts.Select(s => (s.Name, Percentile(s.Samples, 0.5)))
            .Concat(skipped.Select(n => (n, double.NaN))).ToList();
    }

    /// <summary>Defines New-VcTokenInstrumented: the module's own New-VcToken (taken from its AST,
    /// bound to the module's scope) with a Stopwatch timestamp before each top-level statement and
    /// before each statement of a top-level try block. Emits the labels of the marks.</summary>
    private const string InstrumentScript = """
        $m = Get-Module NativeToken
        $body = $m.ExportedFunctions['New-VcToken'].ScriptBlock.Ast
        if ($body -is [System.Management.Automation.Language.FunctionDefinitionAst]) { $body = $body.Body }
        $text = $body.Extent.Text
        $base = $body.Extent.StartOffset
        $statements = [System.Collections.Generic.List[object]]::new()
        $lastInTry = [System.Collections.Generic.HashSet[object]]::new()
        foreach ($st in $body.EndBlock.Statements) {
            $statements.Add($st)
            if ($st -is [System.Management.Automation.Language.TryStatementAst]) {
                foreach ($inner in $st.Body.Statements) { $statements.Add($inner) }
                if ($st.Body.Statements.Count -gt 0) { $null = $lastInTry.Add($st.Body.Statements[$st.Body.Statements.Count - 1]) }
            }
        }
        # A mark: the time into a local array (the caller's, fetched once), the count into slot 255.
        $mark = '$__nbT[$__nbK] = [Diagnostics.Stopwatch]::GetTimestamp(); $__nbT[255] = ++$__nbK; '
        # Insert from the last statement back, so earlier offsets stay valid.
        $sorted = [object[]]$statements.ToArray()
        [Array]::Sort([int[]]@($sorted | ForEach-Object { $_.Extent.StartOffset }), $sorted)
        for ($k = $sorted.Length - 1; $k -ge 0; $k--) {
            $at = $sorted[$k].Extent.StartOffset - $base
            $prefix = if ($k -eq 0) { '$__nbT = $global:NtBenchT; $__nbK = 1; ' + $mark } else { '' }
            $text = $text.Substring(0, $at) + $prefix + $mark + $text.Substring($at)
        }
        '(two marks in a row: the cost of one mark)'
        $text = $text.Trim()
        if ($text.StartsWith('{') -and $text.EndsWith('}')) { $text = $text.Substring(1, $text.Length - 2) }
        ${function:global:New-VcTokenInstrumented} = $m.NewBoundScriptBlock([scriptblock]::Create($text))
        foreach ($st in $sorted) {
            $line = $st.Extent.Text.Split([char]10)[0].Trim()
            if ($line.Length -gt 60) { $line = $line.Substring(0, 57) + '...' }
            if ($lastInTry.Contains($st)) { $line += ' [+ the finally block]' }
            "L$($st.Extent.StartLineNumber): $line"
        }
        """;

    private const string InstrumentedLoop = """
        param([string]$e, [string]$j, [int]$n)
        $rows = [long[][]]::new($n)
        $global:NtBenchT = [long[]]::new(256)
        $T = $global:NtBenchT
        for ($i = 0; $i -lt $n; $i++) {
            $T[255] = 1
            $T[0] = [Diagnostics.Stopwatch]::GetTimestamp()
            $null = New-VcTokenInstrumented -Endpoint $e -Jwt $j
            $k = $T[255]
            $T[$k] = [Diagnostics.Stopwatch]::GetTimestamp()
            $row = [long[]]::new($k + 1)
            [Array]::Copy($T, $row, $row.Length)
            $rows[$i] = $row
        }
        , $rows
        """;

    /// <summary>Where the time goes inside one New-VcToken -Endpoint -Jwt call: the p50 of the
    /// time from each statement's start to the next mark (statements that run on this path).</summary>
    private static void MeasureInside(Runspace rs, string endpoint, string jwt, Plan plan)
    {
        List<string> labels;
        try { labels = Invoke(rs, InstrumentScript).Select(x => x.ToString()).ToList(); }
        catch (Exception e)
        {
            Add("inside", $"n/a (could not instrument New-VcToken: {e.GetBaseException().Message.Split('\n')[0]})");
            return;
        }
        // Which statements ran is read back from the marks: a statement whose mark did not run
        // (another branch) is absent. Only the marks of this path are labelled, in order.
        var rows = new List<long[]>();
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < plan.WarmupSeconds)
            Invoke(rs, InstrumentedLoop, endpoint, jwt, 500);  // warm-up
        for (int r = 0; r < plan.BreakdownRounds; r++)
        {
            var got = (long[][])Invoke(rs, InstrumentedLoop, endpoint, jwt, plan.BreakdownCalls)[0].BaseObject;
            rows.AddRange(got);
        }
        int marks = rows.GroupBy(x => x.Length).OrderByDescending(g => g.Count()).First().Key;  // the modal path
        var path = rows.Where(x => x.Length == marks).ToList();
        if (marks - 2 != labels.Count)
        {
            // Some statements did not run on this path (branches): the labels cannot be matched
            // one to one, so report the marks by position only.
            labels = Enumerable.Range(1, marks - 2).Select(k => $"mark {k}").ToList();
        }
        Add("inside_calls", path.Count.ToString(CultureInfo.InvariantCulture));
        Add("inside_00_us_p50", $"{F1(Percentile(path.Select(x => (x[1] - x[0]) * 1e6 / Stopwatch.Frequency), 0.5))} (call and parameter binding, to the first statement)");
        for (int k = 1; k < marks - 1; k++)
        {
            double p50 = Percentile(path.Select(x => (x[k + 1] - x[k]) * 1e6 / Stopwatch.Frequency), 0.5);
            string label = labels[k - 1];
            // A try statement's own mark is followed at once by its first inner statement's mark.
            Add($"inside_{k:00}_us_p50", $"{F1(p50)} ({(k == marks - 2 ? label + " ... to the caller" : label)})");
        }
        Add("inside_total_us_p50", F1(Percentile(path.Select(x => (x[^1] - x[0]) * 1e6 / Stopwatch.Frequency), 0.5)));
    }

    // ---------------------------------------------------------------- memory

    private static long RssKib()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }

    private static long SettledRssKib()
    {
        // Aggressive: a full blocking compacting collection that also returns the GC's free
        // memory to the OS, so VmRSS shows what is retained rather than the GC's spare budget.
        for (int i = 0; i < 2; i++)
        {
            GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
            GC.WaitForPendingFinalizers();
        }
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        return RssKib();
    }

    /// <summary>RSS growth (KiB) of this process over each segment of RssCalls calls, after a warm-up.</summary>
    private static double[] MeasureRss(Runspace rs, string command, string endpoint, string jwt, Plan plan)
    {
        string loop = $$"""
            param([string]$e, [string]$j, [int]$n)
            for ($i = 0; $i -lt $n; $i++) { $null = {{command}} -Endpoint $e -Jwt $j }
            """;
        Invoke(rs, loop, endpoint, jwt, plan.RssWarmup);
        long start = SettledRssKib();
        var growth = new double[plan.RssSegments];
        long prev = start;
        for (int s = 0; s < plan.RssSegments; s++)
        {
            Invoke(rs, loop, endpoint, jwt, plan.RssCalls);
            long now = SettledRssKib();
            growth[s] = now - prev;
            prev = now;
        }
        return growth;
    }

    // ---------------------------------------------------------------- report

    private static void AddMachineInfo(Options o)
    {
        string cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown";
        string mem = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        Add("mode", o.Quick ? "quick" : "default");
        Add("machine_cpu", cpu);
        Add("machine_cpus", Environment.ProcessorCount.ToString(CultureInfo.InvariantCulture));
        Add("machine_mem_mib", (long.Parse(mem, CultureInfo.InvariantCulture) / 1024).ToString(CultureInfo.InvariantCulture));
        Add("dotnet", Environment.Version.ToString());
        Add("powershell_engine", typeof(PowerShell).Assembly.GetName().Version?.ToString() ?? "?");
    }

    private static void Report(Options o, Plan plan, double[] imports, List<Series> series,
        (double serial, double parallel)? tput, double[]? rssModule, double[] rssEmpty,
        List<(string name, double p50)>? breakdown, double[]? nativeStats)
    {
        Series? S(string name) => series.FirstOrDefault(s => s.Name == name);
        double P(string name, double q) => S(name) is { } s ? Percentile(s.Samples, q) : double.NaN;
        // Per-round ratio of p50s: how stable a ratio is from round to round.
        string RoundRange(Func<int, double> ratio, int rounds)
        {
            var v = Enumerable.Range(0, rounds).Select(ratio).OrderBy(x => x).ToArray();
            return $"{F2(v[0])} .. {F2(v[^1])}";
        }
        double RM(string name, int r) => S(name)!.RoundMedians[r];
        int R = plan.LatencyRounds;
        var goals = new List<(string name, double value, string op, double target)>();

        Add("import_ms", F1(Median(imports)));
        Add("import_ms_first_in_process", F1(imports[0]));
        Add("import_ms_rounds", string.Join(" ", imports.Select(F1)));

        bool module = !o.BaselinesOnly, native = S("native_floor") != null;

        // The module against the pure-PowerShell baseline over one transport ("" = HTTP, "_tls").
        void Speedup(string suffix, double goal)
        {
            string baseline = "ps_httpclient" + suffix, call = "vc_call" + suffix, name = "speedup_vs_ps_httpclient" + suffix;
            double sp = P(baseline, 0.5) / P(call, 0.5);
            Add(name, F2(sp));
            Add(name + "_per_round", RoundRange(r => RM(baseline, r) / RM(call, r), R));
            goals.Add((name, sp, ">=", goal));
        }
        if (module)
        {
            Add("vc_call_us_p50", F1(P("vc_call", 0.50)));
            Add("vc_call_us_p99", F1(P("vc_call", 0.99)));
            Add("vc_call_us_mean", F1(S("vc_call")!.Samples.Average()));
        }
        Add("ps_httpclient_us_p50", F1(P("ps_httpclient", 0.50)));
        Add("ps_httpclient_us_p99", F1(P("ps_httpclient", 0.99)));
        if (module)
        {
            Speedup("", 3);
            Add("vc_call_tls_us_p50", F1(P("vc_call_tls", 0.50)));
            Add("vc_call_tls_us_p99", F1(P("vc_call_tls", 0.99)));
        }
        Add("ps_httpclient_tls_us_p50", F1(P("ps_httpclient_tls", 0.50)));
        Add("ps_httpclient_tls_us_p99", F1(P("ps_httpclient_tls", 0.99)));
        if (module)
        {
            Speedup("_tls", 10);
        }
        if (native)
        {
            Add("native_floor_us_p50", F1(P("native_floor", 0.50)));
            Add("native_floor_us_p99", F1(P("native_floor", 0.99)));
            Add("native_floor_tls_us_p50", F1(P("native_floor_tls", 0.50)));
        }
        Add("ps_empty_fn_us_p50", F1(P("ps_empty_fn", 0.50)));
        Add("ps_empty_fn_us_p99", F1(P("ps_empty_fn", 0.99)));
        Add("ps_timer_floor_us_p50", F2(P("ps_timer_floor", 0.50)));
        if (module && native)
        {
            double ov = P("vc_call", 0.5) / (P("native_floor", 0.5) + P("ps_empty_fn", 0.5));
            Add("overhead_vs_parts", F2(ov));
            Add("overhead_vs_parts_per_round", RoundRange(r => RM("vc_call", r) / (RM("native_floor", r) + RM("ps_empty_fn", r)), R));
            Add("overhead_vs_parts_tls", F2(P("vc_call_tls", 0.5) / (P("native_floor_tls", 0.5) + P("ps_empty_fn", 0.5))));
            Add("module_minus_parts_us", F1(P("vc_call", 0.5) - P("native_floor", 0.5) - P("ps_empty_fn", 0.5)));
            // What any PowerShell module could reach in this run if its call cost no more than its
            // parts (a do-nothing advanced function plus the bare native call): the ceiling of
            // speedup_vs_ps_httpclient on this machine.
            Add("speedup_ceiling_vs_ps_httpclient", F2(P("ps_httpclient", 0.5) / (P("native_floor", 0.5) + P("ps_empty_fn", 0.5))));
            Add("speedup_ceiling_vs_ps_httpclient_tls", F2(P("ps_httpclient_tls", 0.5) / (P("native_floor_tls", 0.5) + P("ps_empty_fn", 0.5))));
            goals.Add(("overhead_vs_parts", ov, "<=", 1.25));
        }
        if (tput is { } t)
        {
            Add("serial_tokens_per_s", F0(t.serial));
            Add("parallel_tokens_per_s", F0(t.parallel));
            double scaling = t.parallel / t.serial;
            Add("parallel_scaling_2cores", F2(scaling));
            goals.Add(("parallel_scaling_2cores", scaling, ">=", 1.5));
        }
        if (rssModule != null)
        {
            double g = Median(rssModule);
            Add("rss_growth_kib_per_10k_calls", F0(g));
            Add("rss_growth_kib_per_10k_calls_segments", string.Join(" ", rssModule.Select(F0)));
            goals.Add(("rss_growth_kib_per_10k_calls", g, "<=", 256));
        }
        Add("rss_growth_empty_fn_kib_per_10k_calls", F0(Median(rssEmpty)));
        Add("rss_growth_empty_fn_kib_per_10k_calls_segments", string.Join(" ", rssEmpty.Select(F0)));
        if (nativeStats != null)
        {
            // native_floor --stats: RSS before/after 10,000 calls, CPU and context switches per call.
            Add("native_floor_rss_growth_kib_per_10k_calls", F0((nativeStats[1] - nativeStats[0]) * 10000.0 / plan.RssCalls));
            Add("native_floor_cpu_us_per_call", F1(nativeStats[2]));
            Add("native_floor_context_switches_per_call", F2(nativeStats[3]));
        }
        if (breakdown != null)
        {
            foreach (var (name, p50) in breakdown) Add($"breakdown_{name}_us_p50", FN(p50));
            double B(string n) => breakdown.First(b => b.name == n).p50;
            double parts = B("bind_only_fn") + B("uri_validate") + B("native_path") + B("credentials_x2") + B("token_object") + B("session_object");
            Add("breakdown_sum_of_parts_us", FN(parts));
            Add("breakdown_module_call_minus_parts_us", FN(B("module_call") - parts));
            Add("breakdown_native_path_minus_native_floor_us", native ? FN(B("native_path") - P("native_floor", 0.5)) : "n/a");
        }
        Add("rss_kib_end", RssKib().ToString(CultureInfo.InvariantCulture));

        foreach (var (name, value, op, target) in goals)
        {
            bool met = op == ">=" ? value >= target : value <= target;
            Add("goal_" + name, $"{(met ? "met" : "not met")} ({F2(value)} {op} {target.ToString(CultureInfo.InvariantCulture)})");
        }
        int metCount = goals.Count(g => g.op == ">=" ? g.value >= g.target : g.value <= g.target);
        Add("goals_met", $"{metCount}/{goals.Count}");
    }

    // ---------------------------------------------------------------- chart

    /// <summary>Two panels over one log-scale time axis: the empirical CDF of each series (the
    /// body of the distribution), and below it the tail, 1 - CDF on a log scale (p90 .. p99.9).</summary>
    private static void WriteSvg(string path, List<Series> series, bool quick)
    {
        const double W = 1000, L = 80, Rm = 320, T = 60, Ph1 = 380, Gap = 60, Ph2 = 220, B = 50;
        double pw = W - L - Rm, t2 = T + Ph1 + Gap, H = t2 + Ph2 + B;
        var all = series.SelectMany(s => s.Samples).Where(v => v > 0).ToArray();
        double lo = Math.Pow(10, Math.Floor(Math.Log10(all.Min())));
        double hi = Math.Pow(10, Math.Ceiling(Math.Log10(all.Max())));
        double X(double v) => L + (Math.Log10(Math.Clamp(v, lo, hi)) - Math.Log10(lo)) / (Math.Log10(hi) - Math.Log10(lo)) * pw;
        double Y1(double p) => T + (1 - p) * Ph1;
        const double TailMin = 1e-3;  // 1 - CDF from 1 down to 0.001 (p99.9)
        double Y2(double q) => t2 + (-Math.Log10(Math.Max(q, TailMin))) / 3.0 * Ph2;
        static string Unit(double us) => us >= 1000 ? $"{us / 1000:0.##} ms" : us >= 100 ? $"{us:0} µs" : $"{us:0.#} µs";
        var sb = new StringBuilder();
        void E(string text) => sb.Append(text).Append('\n');
        string N(double v) => v.ToString("0.#", CultureInfo.InvariantCulture);

        E($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{N(W)}\" height=\"{N(H)}\" viewBox=\"0 0 {N(W)} {N(H)}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">");
        E($"<rect width=\"{N(W)}\" height=\"{N(H)}\" fill=\"#ffffff\"/>");
        E($"<text x=\"{N(L)}\" y=\"24\" font-size=\"16\" font-weight=\"bold\">New-VcToken and its baselines: time per call (log scale; left is faster)</text>");
        int calls = series.Max(s => s.Samples.Count);
        E($"<text x=\"{N(L)}\" y=\"42\" fill=\"#555\">{Esc($"{Environment.ProcessorCount} CPUs shared with the loopback emulator; {(quick ? "--quick" : "default")} run; up to {calls} calls per series in interleaved rounds")}</text>");

        void XGrid(double top, double height, bool labels)
        {
            for (double d = lo; d <= hi * 1.0001; d *= 10)
            {
                E($"<line x1=\"{N(X(d))}\" y1=\"{N(top)}\" x2=\"{N(X(d))}\" y2=\"{N(top + height)}\" stroke=\"#bbb\"/>");
                if (labels) E($"<text x=\"{N(X(d))}\" y=\"{N(top + height + 18)}\" text-anchor=\"middle\">{Esc(Unit(d))}</text>");
                if (d < hi)
                    foreach (var m in new[] { 2.0, 5.0 })
                        E($"<line x1=\"{N(X(d * m))}\" y1=\"{N(top)}\" x2=\"{N(X(d * m))}\" y2=\"{N(top + height)}\" stroke=\"#e8e8e8\"/>");
            }
        }

        // Panel 1: CDF.
        XGrid(T, Ph1, labels: true);
        foreach (var p in new[] { 0.0, 0.25, 0.5, 0.75, 1.0 })
        {
            string dash = p == 0.5 ? " stroke-dasharray=\"4 3\"" : "";
            E($"<line x1=\"{N(L)}\" y1=\"{N(Y1(p))}\" x2=\"{N(L + pw)}\" y2=\"{N(Y1(p))}\" stroke=\"#ccc\"{dash}/>");
            E($"<text x=\"{N(L - 6)}\" y=\"{N(Y1(p) + 4)}\" text-anchor=\"end\">{(p == 0.5 ? "p50" : p.ToString("0.##", CultureInfo.InvariantCulture))}</text>");
        }
        E($"<rect x=\"{N(L)}\" y=\"{N(T)}\" width=\"{N(pw)}\" height=\"{N(Ph1)}\" fill=\"none\" stroke=\"#333\"/>");
        E($"<text transform=\"translate(20 {N(T + Ph1 / 2)}) rotate(-90)\" text-anchor=\"middle\">fraction of calls this fast or faster</text>");

        // Panel 2: tail.
        E($"<text x=\"{N(L)}\" y=\"{N(t2 - 10)}\" font-weight=\"bold\">Tail: fraction of calls slower than x (log scale)</text>");
        XGrid(t2, Ph2, labels: true);
        foreach (var (q, label) in new[] { (1.0, "1"), (0.5, "p50"), (0.1, "0.1 · p90"), (0.01, "0.01 · p99"), (0.001, "p99.9") })
        {
            E($"<line x1=\"{N(L)}\" y1=\"{N(Y2(q))}\" x2=\"{N(L + pw)}\" y2=\"{N(Y2(q))}\" stroke=\"#ccc\"/>");
            E($"<text x=\"{N(L - 6)}\" y=\"{N(Y2(q) + 4)}\" text-anchor=\"end\" font-size=\"11\">{label}</text>");
        }
        E($"<rect x=\"{N(L)}\" y=\"{N(t2)}\" width=\"{N(pw)}\" height=\"{N(Ph2)}\" fill=\"none\" stroke=\"#333\"/>");
        E($"<text x=\"{N(L + pw / 2)}\" y=\"{N(H - 12)}\" text-anchor=\"middle\">time per call</text>");

        int row = 0;
        foreach (var s in series)
        {
            var v = s.Samples.OrderBy(x => x).ToArray();
            int m = Math.Min(v.Length, 600);
            var cdf = new StringBuilder();
            for (int k = 0; k < m; k++)
            {
                int idx = m == 1 ? 0 : (int)Math.Round(k * (v.Length - 1.0) / (m - 1));
                cdf.Append(N(X(v[idx]))).Append(',').Append(N(Y1((idx + 1.0) / v.Length))).Append(' ');
            }
            E($"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"2\" points=\"{cdf.ToString().TrimEnd()}\"/>");
            // Tail: the samples from p50 up (1 - F from 0.5 down to 1/n), at most 400 points.
            var tail = new StringBuilder();
            int from = (int)Math.Floor(v.Length * 0.5);
            int count = v.Length - 1 - from;
            int step = Math.Max(1, count / 400);
            for (int idx = from; idx < v.Length - 1; idx += step)
                tail.Append(N(X(v[idx]))).Append(',').Append(N(Y2(1 - (idx + 1.0) / v.Length))).Append(' ');
            if (tail.Length > 0)
                E($"<polyline fill=\"none\" stroke=\"{s.Color}\" stroke-width=\"1.6\" points=\"{tail.ToString().TrimEnd()}\"/>");

            double ly = T + 8 + row * 42, lx = L + pw + 16;
            E($"<line x1=\"{N(lx)}\" y1=\"{N(ly)}\" x2=\"{N(lx + 22)}\" y2=\"{N(ly)}\" stroke=\"{s.Color}\" stroke-width=\"3\"/>");
            E($"<text x=\"{N(lx + 30)}\" y=\"{N(ly + 4)}\">{Esc(s.Label)}</text>");
            E($"<text x=\"{N(lx + 30)}\" y=\"{N(ly + 19)}\" fill=\"#555\">{Esc($"p50 {Unit(Percentile(v, 0.5))}   p99 {Unit(Percentile(v, 0.99))}   n={v.Length}")}</text>");
            row++;
        }
        E("</svg>");
        File.WriteAllText(path, sb.ToString());
    }

    private static string Esc(string s) => s.Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;");

    // ---------------------------------------------------------------- helpers

    private static string MakeJwt(long exp)
    {
        static string B64(string s) => Convert.ToBase64String(Encoding.UTF8.GetBytes(s)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        return $"{B64("{\"alg\":\"RS256\",\"typ\":\"JWT\"}")}.{B64($"{{\"sub\":\"bench\",\"iss\":\"native-token-bench\",\"exp\":{exp}}}")}.{B64("not-a-real-signature")}";
    }

    private static double Percentile(IEnumerable<double> values, double q)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        int idx = (int)Math.Ceiling(q * v.Length) - 1;
        return v[Math.Clamp(idx, 0, v.Length - 1)];
    }

    private static double Median(IEnumerable<double> values)
    {
        var v = values.OrderBy(x => x).ToArray();
        if (v.Length == 0) return double.NaN;
        return v.Length % 2 == 1 ? v[v.Length / 2] : (v[v.Length / 2 - 1] + v[v.Length / 2]) / 2;
    }

    private static string F0(double v) => v.ToString("F0", CultureInfo.InvariantCulture);
    private static string F1(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
    private static string F2(double v) => v.ToString("F2", CultureInfo.InvariantCulture);
    private static string FN(double v) => double.IsNaN(v) ? "n/a" : F1(v);
    private static string F3(double v) => v.ToString("F3", CultureInfo.InvariantCulture);
}
