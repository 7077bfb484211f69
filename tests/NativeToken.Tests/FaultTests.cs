using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// Server-side faults through <c>New-VcToken -Endpoint -Jwt</c> (the emulator's <c>?fault=</c>
/// modes, a closed port, an unknown host, bad certificates). Each failure is an ErrorRecord with
/// the right FullyQualifiedErrorId, category and exception, a message that says what happened,
/// and retries only where another attempt can help. Every failure runs in a
/// <see cref="BaselineSession"/>, which checks that the module's and the native sessions stay as
/// they were and that no marker secret reaches any record or the emulator's log.
/// </summary>
[Collection(NativeSessionStoreCollection.Name)]
public sealed class FaultTests
{
    private const string Fetch = "New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose";
    private const string ClosedPort = "closed port";
    private const string UnknownHost = "unknown host";
    private const string UntrustedCertificate = "untrusted certificate";
    private const string WrongHostCertificate = "wrong-host certificate";
    private const int TimeoutSeconds = NativeEnvironment.TimeoutSeconds;

    private readonly Emulator _emulator;

    public FaultTests(EmulatorFixture fixture) => _emulator = fixture.Emulator;

    /// <summary>A fixture-emulator endpoint with a fault, on a tenant path no other test uses (so *COUNT starts afresh).</summary>
    private string FaultEndpoint(string fault) => _emulator.TlspcEndpoint(fault, Guid.NewGuid().ToString());

    /// <summary>The endpoint as native messages show it: without the query.</summary>
    private static string Shown(string endpoint) => endpoint.Split('?')[0];

    /// <summary>The native library's trace lines in the verbose stream, without their prefix.</summary>
    private static List<string> NativeTrace(PsResult result) =>
        result.Verbose.Where(v => v.StartsWith("native: ", StringComparison.Ordinal)).Select(v => v["native: ".Length..]).ToList();

    /// <summary>
    /// <see cref="Fetch"/> with the baseline's marker JWT, which must fail; returns the result and
    /// how many token requests <paramref name="server"/> (default: the fixture emulator) received.
    /// </summary>
    private (PsResult Result, long Requests) FetchFailing(string endpoint, Emulator? server = null)
    {
        server ??= _emulator;
        using var baseline = new BaselineSession(_emulator);
        long before = server.Requests(Emulator.TlspcRoute);
        var result = baseline.RunFailing(Fetch, ("Endpoint", endpoint));
        if (server != _emulator)
        {
            Secrets.AssertNotLogged(server, baseline.MarkerSecrets.ToArray());   // RunFailing checked the fixture's
        }
        return (result, server.Requests(Emulator.TlspcRoute) - before);
    }

    /// <summary>Checks a native failure's record: id, category, exception type, kind in Data, the URL as target.</summary>
    private static TException AssertNativeError<TException>(PsResult result, string kind, ErrorCategory category, string endpoint)
        where TException : Exception
    {
        var error = result.AssertError($"NativeToken.{kind},New-VcToken", category);
        Assert.Equal(kind, error.Exception.Data["NativeTokenErrorKind"]);
        Assert.Equal(endpoint, error.TargetObject);
        return Assert.IsType<TException>(error.Exception);
    }

    [Theory]
    // TLSPC envelope {"errors":[{"code","message"}]}; 503 is retried, the others never.
    [InlineData("status=400", 400, ErrorCategory.ProtocolError, "HTTP 400 Bad Request from {target}: Bad Request (code 400)", 1)]
    [InlineData("status=401", 401, ErrorCategory.AuthenticationError, "HTTP 401 Unauthorized from {target}: Unauthorized (code 401)", 1)]
    [InlineData("status=403", 403, ErrorCategory.AuthenticationError, "HTTP 403 Forbidden from {target}: Forbidden (code 403)", 1)]
    [InlineData("status=404", 404, ErrorCategory.ObjectNotFound, "HTTP 404 Not Found from {target}: Not Found (code 404)", 1)]
    [InlineData("status=500", 500, ErrorCategory.ResourceUnavailable, "HTTP 500 Internal Server Error from {target}: Internal Server Error (code 500)", 1)]
    [InlineData("503=0", 503, ErrorCategory.ResourceUnavailable, "HTTP 503 Service Unavailable from {target}: Service Unavailable (code 503)", 3)]
    // OAuth error, HTML page, plain text, empty body.
    [InlineData("oauth-error", 401, ErrorCategory.AuthenticationError, "HTTP 401 Unauthorized from {target}: invalid_client: Client authentication failed", 1)]
    [InlineData("html", 500, ErrorCategory.ResourceUnavailable, "HTTP 500 Internal Server Error from {target}: 500 Internal Server Error Internal Server Error The server encountered an internal error.", 1)]
    [InlineData("plain", 400, ErrorCategory.ProtocolError, "HTTP 400 Bad Request from {target}: Bad request: malformed form body", 1)]
    [InlineData("empty", 500, ErrorCategory.ResourceUnavailable, "HTTP 500 Internal Server Error from {target}: the response body was empty", 1)]
    public void ErrorAnswer_IsHttpStatusError_WithStatusAndServerWords(string fault, int status, ErrorCategory category, string message, int requests)
    {
        string endpoint = FaultEndpoint(fault);

        var (result, received) = FetchFailing(endpoint);

        var exception = AssertNativeError<HttpRequestException>(result, "HttpStatus", category, endpoint);
        Assert.Equal((HttpStatusCode)status, exception.StatusCode);
        Assert.Equal(status, exception.Data["HttpStatus"]);
        Assert.Equal(message.Replace("{target}", Shown(endpoint), StringComparison.Ordinal), exception.Message);
        Assert.Equal(requests, received);
    }

    [Fact]
    public void TooManyRequests_Always_FailsAfterTwoRetries()
    {
        string endpoint = FaultEndpoint("429=1");

        var (result, received) = FetchFailing(endpoint);

        var exception = AssertNativeError<HttpRequestException>(result, "HttpStatus", ErrorCategory.LimitsExceeded, endpoint);
        Assert.Equal(HttpStatusCode.TooManyRequests, exception.StatusCode);
        Assert.Equal($"HTTP 429 Too Many Requests from {Shown(endpoint)}: Too Many Requests (code 429)", exception.Message);
        Assert.Equal(3, received);
        var trace = NativeTrace(result);
        Assert.Equal(2, trace.Count(line => Regex.IsMatch(line, @"^retrying in 1(\.\d+)? s because the server sent Retry-After: 1$")));
        Assert.Equal("not retried: 2 retries made already", trace[^1]);
    }

    [Theory]
    [InlineData("429=1*1", "HTTP 429 Too Many Requests")]
    [InlineData("503=1*1", "HTTP 503 Service Unavailable")]
    public void RetryAfter_ThenSuccess_VerboseSaysWhenAndWhyItRetried(string fault, string refusal)
    {
        string jwt = Secrets.Jwt();
        string endpoint = FaultEndpoint(fault);
        string target = Regex.Escape(Shown(endpoint));
        using var ps = new PsSession();
        long before = _emulator.Requests(Emulator.TlspcRoute);

        var result = ps.Run(Fetch, ("Endpoint", endpoint), ("Jwt", jwt));

        var token = result.Single;
        Assert.Equal(endpoint, Ps.Prop(token, "Endpoint"));
        Assert.Equal(before + 2, _emulator.Requests(Emulator.TlspcRoute));
        Assert.InRange(result.Elapsed.TotalSeconds, 1, TimeoutSeconds);
        var trace = NativeTrace(result);
        Assert.Equal(3, trace.Count);
        Assert.Matches($@"^attempt 1: POST {target} -> {refusal} in \d+ ms$", trace[0]);
        Assert.Matches(@"^retrying in 1(\.\d+)? s because the server sent Retry-After: 1$", trace[1]);
        Assert.Matches($@"^attempt 2: POST {target} -> HTTP 200 OK in \d+ ms$", trace[2]);
        string[] secrets = { jwt, Ps.Password(token.Properties["AccessToken"].Value) };
        Secrets.AssertNotLeaked(result, secrets);
        Secrets.AssertNotLogged(_emulator, secrets);
    }

    [Theory]
    [InlineData("invalid-json", "the answer is not a JSON object")]
    [InlineData("missing-token", "the answer has no access_token")]
    [InlineData("wrong-type", "the answer's token_type is not Bearer")]
    [InlineData("bad-expiry", "the answer's expires_in is not a positive whole number")]
    [InlineData("huge", "the answer from {target} is larger than 1 MiB, so it is not a token answer")]
    public void NotATokenAnswer_IsInvalidResponse(string fault, string message)
    {
        string endpoint = FaultEndpoint(fault);

        var (result, received) = FetchFailing(endpoint);

        var exception = AssertNativeError<InvalidOperationException>(result, "InvalidResponse", ErrorCategory.InvalidResult, endpoint);
        Assert.Equal(message.Replace("{target}", Shown(endpoint), StringComparison.Ordinal), exception.Message);
        Assert.Equal(1, received);
    }

    [Fact]
    public void HangingServer_TimesOutWithinTheTimeoutPlusOneSecond_SayingAfterHowLong()
    {
        string endpoint = FaultEndpoint("hang");

        var (result, received) = FetchFailing(endpoint);

        var exception = AssertNativeError<TimeoutException>(result, "Timeout", ErrorCategory.OperationTimeout, endpoint);
        Assert.Equal(
            $"no complete answer from {Shown(endpoint)} within {TimeoutSeconds} s (the timeout covers the whole call, retries included; " +
            "set timeout_ms or NATIVETOKEN_TIMEOUT_SEC to change it)",
            exception.Message);
        Assert.InRange(result.Elapsed.TotalSeconds, TimeoutSeconds, TimeoutSeconds + 1);
        Assert.Equal(1, received);
        Assert.Equal($"attempt 1: POST {Shown(endpoint)} -> no complete answer before the timeout", Assert.Single(NativeTrace(result)));
    }

    [Fact]
    public void TimeoutSetWithEnvInsidePowerShell_IsHonoured()
    {
        // $env: inside PowerShell changes only .NET's copy of the environment on Linux; the module
        // reads it per call and hands it to the library. This collection runs alone, so the
        // change cannot reach another test's call.
        string endpoint = FaultEndpoint("hang");
        using var baseline = new BaselineSession(_emulator);
        var result = baseline.RunFailing(
            "$old = $env:NATIVETOKEN_TIMEOUT_SEC; $env:NATIVETOKEN_TIMEOUT_SEC = '1.5'\n" +
            "try { " + Fetch + " } finally { $env:NATIVETOKEN_TIMEOUT_SEC = $old }",
            ("Endpoint", endpoint));

        var exception = AssertNativeError<TimeoutException>(result, "Timeout", ErrorCategory.OperationTimeout, endpoint);
        Assert.StartsWith($"no complete answer from {Shown(endpoint)} within 1.50 s", exception.Message, StringComparison.Ordinal);
        Assert.InRange(result.Elapsed.TotalSeconds, 1.5, 2.5);
    }

    [Theory]
    // Reset mid-answer: the request may have been acted on, so it is not repeated.
    [InlineData("reset", "ConnectionReset", HttpRequestError.ResponseEnded, "^the connection to {target} was reset before a complete answer: .+", 1)]
    // Dropped before any answer: repeated twice.
    [InlineData("drop", "ConnectionReset", HttpRequestError.ResponseEnded, "^the connection to {target} was closed before a complete answer: .+", 3)]
    [InlineData(ClosedPort, "ConnectFailed", HttpRequestError.ConnectionError, "^could not connect to {target}: .*[Cc]onnection refused", 0)]
    [InlineData(UnknownHost, "DnsFailed", HttpRequestError.NameResolutionError, "^the host name no-such-host\\.invalid did not resolve: .+", 0)]
    public void BrokenConnection_IsConnectionError(string where, string kind, HttpRequestError requestError, string pattern, int requests)
    {
        string endpoint = where switch
        {
            ClosedPort => $"http://127.0.0.1:{FreePort()}/v1/oauth2/v2.0/{Emulator.Tenant}/token",
            UnknownHost => $"https://no-such-host.invalid/v1/oauth2/v2.0/{Emulator.Tenant}/token",
            _ => FaultEndpoint(where),
        };

        var (result, received) = FetchFailing(endpoint);

        var exception = AssertNativeError<HttpRequestException>(result, kind, ErrorCategory.ConnectionError, endpoint);
        Assert.Equal(requestError, exception.HttpRequestError);
        Assert.Null(exception.StatusCode);
        Assert.Matches(pattern.Replace("{target}", Regex.Escape(Shown(endpoint)), StringComparison.Ordinal), exception.Message);
        Assert.Equal(requests, received);
    }

    [Theory]
    [InlineData(UntrustedCertificate, "self-signed certificate")]
    [InlineData(WrongHostCertificate, "hostname mismatch")]
    public void CertificateProblem_IsSecurityError_SayingHowToTrustAPrivateCa(string problem, string verdict)
    {
        var server = problem == WrongHostCertificate ? NativeEnvironment.WrongHost : _emulator;
        // By name: the wrong-host certificate names only NativeEnvironment.WrongHostName.
        string endpoint = server.TlspcHttpsEndpoint().Replace("//127.0.0.1:", "//localhost:", StringComparison.Ordinal);

        var (result, received) = FetchFailing(endpoint, server);

        var exception = AssertNativeError<HttpRequestException>(result, "TlsFailed", ErrorCategory.SecurityError, endpoint);
        Assert.Equal(HttpRequestError.SecureConnectionError, exception.HttpRequestError);
        Assert.StartsWith($"TLS with {endpoint} failed (", exception.Message);
        Assert.Contains(verdict, exception.Message);
        Assert.EndsWith("if the server's certificate comes from a private CA, trust that CA with SSL_CERT_FILE=/path/ca.pem", exception.Message);
        Assert.Equal(0, received);
    }

    /// <summary>A loopback port nothing listens on (it was free a moment ago).</summary>
    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
