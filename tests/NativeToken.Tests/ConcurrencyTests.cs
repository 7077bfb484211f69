using System.Text.RegularExpressions;
using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// Eight runspaces at once, each on its own thread with its own tenant and JWT, share the
/// process's native library (one HTTP client, one session store): every call is accounted for,
/// no call or session of one runspace ever carries another's endpoint or JWT, and nothing crashes.
/// </summary>
public sealed class ConcurrencyTests : IClassFixture<EmulatorFixture>
{
    private const int Runspaces = 8;
    private const int CallsEach = 200;

    private const string FetchLoop = "for ($i = 0; $i -lt $Calls; $i++) { New-VcToken -Endpoint $Endpoint -Jwt $Jwt }";

    private const string RefreshScriptSession = @"
        $old = $VenafiSession.Token.AccessToken
        New-VcToken -Verbose
        [pscustomobject]@{
            Endpoint    = $VenafiSession.Token.Endpoint
            Jwt         = $VenafiSession.Token.JWT.GetNetworkCredential().Password
            AccessToken = $VenafiSession.Token.AccessToken.GetNetworkCredential().Password
            Replaced    = -not [object]::ReferenceEquals($old, $VenafiSession.Token.AccessToken)
        }";

    /// <summary>A successful token request in the emulator's log: its tenant and the assertion's subject.</summary>
    private static readonly Regex TokenRequestLine = new(@" POST /v1/oauth2/v2\.0/(?<tenant>[0-9a-f-]{36})/token 200 \d+ms sub=""(?<sub>[^""]*)""$");

    private readonly Emulator _emulator;

    public ConcurrencyTests(EmulatorFixture fixture) => _emulator = fixture.Emulator;

    /// <summary>One runspace with the module, its own tenant and its own JWT.</summary>
    private sealed class Client : IDisposable
    {
        public Client(Emulator emulator, int index)
        {
            Tenant = Guid.NewGuid().ToString();
            Subject = $"svc-parallel-{index}";
            Jwt = Secrets.Jwt(subject: Subject);
            Endpoint = emulator.TlspcEndpoint(tenant: Tenant);
        }

        public PsSession Ps { get; } = new();

        public string Tenant { get; }

        public string Subject { get; }

        public string Jwt { get; }

        public string Endpoint { get; }

        public void Dispose() => Ps.Dispose();
    }

    /// <summary>Runs <paramref name="run"/> for every item at once, each on a thread of its own.</summary>
    private static Task<TResult[]> InParallel<T, TResult>(IEnumerable<T> items, Func<T, TResult> run) =>
        Task.WhenAll(items.Select(item =>
            Task.Factory.StartNew(() => run(item), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)));

    /// <summary>
    /// The emulator's log, per client: every successful request to the client's tenant carried
    /// the client's JWT (its subject); returns how many there were.
    /// </summary>
    private Dictionary<Client, int> RequestsPerClient(IReadOnlyList<Client> clients)
    {
        var lines = _emulator.SettledLog().Select(line => TokenRequestLine.Match(line)).Where(match => match.Success).ToList();
        return clients.ToDictionary(client => client, client =>
        {
            var own = lines.Where(match => match.Groups["tenant"].Value == client.Tenant).ToList();
            Assert.All(own, match => Assert.Equal(client.Subject, match.Groups["sub"].Value));
            return own.Count;
        });
    }

    [Fact]
    public async Task EightRunspaces_200CallsEach_EveryTokenTheirOwn_ThenScriptSessionRefreshesStayTheirOwn()
    {
        // The runspaces import the module at the same time too.
        var clients = (await InParallel(Enumerable.Range(0, Runspaces), index => new Client(_emulator, index))).ToList();
        try
        {
            long before = _emulator.Requests(Emulator.TlspcRoute);

            var fetched = await InParallel(clients, c => c.Ps.Run(FetchLoop, ("Endpoint", c.Endpoint), ("Jwt", c.Jwt), ("Calls", CallsEach)));

            Assert.Equal(before + Runspaces * CallsEach, _emulator.Requests(Emulator.TlspcRoute));
            var accessTokens = new HashSet<string>();
            foreach (var (client, result) in clients.Zip(fetched))
            {
                result.ThrowIfFailed(client.Subject);
                Assert.Equal(CallsEach, result.Output.Count);
                foreach (var token in result.Output)
                {
                    Assert.Equal(client.Endpoint, Ps.Prop(token, "Endpoint"));
                    Assert.Equal(client.Jwt, Ps.Password(Ps.Prop(token, "JWT")));
                    Assert.True(accessTokens.Add(Ps.Password(Ps.Prop(token, "AccessToken"))), "an access token was handed out twice");
                }
            }
            Assert.All(RequestsPerClient(clients), pair => Assert.Equal(CallsEach, pair.Value));

            long beforeRefresh = _emulator.Requests(Emulator.TlspcRoute);

            var refreshed = await InParallel(clients, c => c.Ps.Run(RefreshScriptSession));

            // One request each: a runspace always sends its own session's endpoint and JWT.
            Assert.Equal(Runspaces, _emulator.Requests(Emulator.TlspcRoute) - beforeRefresh);

            foreach (var (client, result) in clients.Zip(refreshed))
            {
                var session = result.Single;
                Assert.Equal(client.Endpoint, Ps.Prop(session, "Endpoint"));
                Assert.Equal(client.Jwt, Ps.Prop(session, "Jwt"));
                Assert.True((bool)Ps.Prop(session, "Replaced")!);
                Assert.True(accessTokens.Add((string)Ps.Prop(session, "AccessToken")!), "the refresh handed out a token seen before");
                // The trace of the token the module kept: its attempts went to this client's endpoint only.
                var attempts = result.Verbose.Where(v => v.StartsWith("native: attempt ", StringComparison.Ordinal)).ToList();
                Assert.NotEmpty(attempts);
                Assert.All(attempts, attempt => Assert.Contains($"POST {client.Endpoint} -> ", attempt));
                Assert.EndsWith("-> HTTP 200 OK", Regex.Replace(attempts[^1], @" in \d+ ms$", ""));
            }
            Assert.All(RequestsPerClient(clients), pair => Assert.Equal(CallsEach + 1, pair.Value));
        }
        finally
        {
            clients.ForEach(client => client.Dispose());
        }
    }
}
