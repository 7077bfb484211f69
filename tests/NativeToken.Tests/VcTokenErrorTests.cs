using System.Management.Automation;
using System.Net;
using System.Net.Http;
using System.Net.Sockets;
using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>New-VcToken's error records: script-detected argument errors and native errors.</summary>
public sealed class VcTokenErrorTests : IClassFixture<EmulatorFixture>
{
    private const string JwtMissing = "-Jwt must be provided directly or via a VenafiSession.";

    private readonly Emulator _emulator;

    public VcTokenErrorTests(EmulatorFixture fixture) => _emulator = fixture.Emulator;

    private static ErrorRecord AssertError(PsResult result, string id, ErrorCategory category)
    {
        Assert.Empty(result.Output);
        var error = result.Error;
        Assert.Equal($"NativeToken.{id},New-VcToken", error.FullyQualifiedErrorId);
        Assert.Equal(category, error.CategoryInfo.Category);
        return error;
    }

    [Fact]
    public void ScriptSession_NoSession_IsArgumentErrorWithExactMessage()
    {
        using var ps = new PsSession();
        var error = AssertError(ps.Run("New-VcToken"), "MissingSession", ErrorCategory.InvalidArgument);
        var exception = Assert.IsType<ArgumentException>(error.Exception);
        Assert.Equal(JwtMissing, exception.Message);
        Assert.Null(error.TargetObject);
    }

    [Fact]
    public void ScriptSession_SessionWithoutJwt_IsArgumentErrorWithExactMessage()
    {
        using var ps = new PsSession();
        var result = ps.Run("$VenafiSession = [pscustomobject]@{ Platform = 'VC'; Token = [pscustomobject]@{ Endpoint = $Endpoint } }; New-VcToken",
            ("Endpoint", _emulator.TlspcEndpoint()));
        var error = AssertError(result, "MissingJwt", ErrorCategory.InvalidArgument);
        Assert.Equal(JwtMissing, Assert.IsType<ArgumentException>(error.Exception).Message);
    }

    [Fact]
    public void ScriptSession_SessionWithoutToken_IsArgumentErrorWithExactMessage()
    {
        using var ps = new PsSession();
        var error = AssertError(ps.Run("$VenafiSession = [pscustomobject]@{ Platform = 'VC' }; New-VcToken"), "MissingJwt", ErrorCategory.InvalidArgument);
        Assert.Equal(JwtMissing, Assert.IsType<ArgumentException>(error.Exception).Message);
    }

    [Fact]
    public void ScriptSession_SessionWithoutEndpoint_SaysSo()
    {
        using var ps = new PsSession();
        var result = ps.Run("$VenafiSession = [pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } }; New-VcToken", ("Jwt", Secrets.Jwt()));
        var error = AssertError(result, "MissingEndpoint", ErrorCategory.InvalidArgument);
        Assert.Contains("Token.Endpoint", Assert.IsType<ArgumentException>(error.Exception).Message);
    }

    [Fact]
    public void Session_WithoutJwt_SaysJwtIsMissing()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint } })",
            ("Endpoint", _emulator.TlspcEndpoint()));
        var error = AssertError(result, "MissingJwt", ErrorCategory.InvalidArgument);
        var message = Assert.IsType<ArgumentException>(error.Exception).Message;
        Assert.StartsWith(JwtMissing, message);
        Assert.Contains("Token.JWT", message);
    }

    [Fact]
    public void Session_WithoutEndpoint_SaysEndpointIsMissing()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } })", ("Jwt", Secrets.Jwt()));
        var error = AssertError(result, "MissingEndpoint", ErrorCategory.InvalidArgument);
        Assert.Contains("Token.Endpoint", Assert.IsType<ArgumentException>(error.Exception).Message);
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token")]
    [InlineData("ftp://api.venafi.cloud/token")]
    public void Endpoint_NotAnAbsoluteHttpUrl_IsArgumentErrorShowingTheExpectedForm(string endpoint)
    {
        using var ps = new PsSession();
        long before = _emulator.Requests(Emulator.TlspcRoute);
        var error = AssertError(ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt())),
            "InvalidUrl", ErrorCategory.InvalidArgument);
        var message = Assert.IsType<ArgumentException>(error.Exception).Message;
        Assert.Contains("https://api.venafi.cloud/v1/oauth2/v2.0/<tenant-id>/token", message);
        Assert.Contains(endpoint, message);
        Assert.Equal(before, _emulator.Requests(Emulator.TlspcRoute));
    }

    [Fact]
    public void Endpoint_SwappedWithJwt_DoesNotEchoTheJwt()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Endpoint $Jwt -Jwt $Endpoint", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        var error = AssertError(result, "InvalidUrl", ErrorCategory.InvalidArgument);
        Assert.Contains("swapped", error.Exception.Message);
        Secrets.AssertNotLeaked(result, jwt);
    }

    [Fact]
    public void Endpoint_PlainHttpToRemoteHost_IsRefusedNatively()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Endpoint 'http://api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token' -Jwt $Jwt",
            ("Jwt", Secrets.Jwt()));
        var error = AssertError(result, "InsecureUrl", ErrorCategory.InvalidArgument);
        Assert.IsType<ArgumentException>(error.Exception);
        Assert.Equal("InsecureUrl", error.Exception.Data["NativeTokenErrorKind"]);
    }

    [Fact]
    public void HttpStatus500_IsHttpRequestExceptionWithStatusInData()
    {
        string jwt = Secrets.Jwt();
        string endpoint = _emulator.TlspcEndpoint("status=500");
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", jwt));
        var error = AssertError(result, "HttpStatus", ErrorCategory.ResourceUnavailable);
        var exception = Assert.IsType<HttpRequestException>(error.Exception);
        Assert.Equal(HttpStatusCode.InternalServerError, exception.StatusCode);
        Assert.Contains("500", exception.Message);
        Assert.Equal(500, error.Exception.Data["HttpStatus"]);
        Assert.Equal("HttpStatus", error.Exception.Data["NativeTokenErrorKind"]);
        Assert.Equal(endpoint, error.TargetObject);
        Assert.Null(ps.GetVariable("VenafiSession"));
        Secrets.AssertNotLeaked(result, jwt);
    }

    [Fact]
    public void HttpStatus401_IsAuthenticationError()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", _emulator.TlspcEndpoint("status=401")), ("Jwt", Secrets.Jwt()));
        var error = AssertError(result, "HttpStatus", ErrorCategory.AuthenticationError);
        Assert.Equal(HttpStatusCode.Unauthorized, Assert.IsType<HttpRequestException>(error.Exception).StatusCode);
        Assert.Equal(401, error.Exception.Data["HttpStatus"]);
    }

    [Fact]
    public void ExpiredJwt_IsRefusedBeforeAnyRequest()
    {
        string jwt = Secrets.ExpiredJwt();
        using var ps = new PsSession();
        long before = _emulator.Requests(Emulator.TlspcRoute);
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        var error = AssertError(result, "ExpiredJwt", ErrorCategory.InvalidArgument);
        Assert.IsType<ArgumentException>(error.Exception);
        Assert.Contains("expire", error.Exception.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Matches(@"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", error.Exception.Message);
        Assert.Equal(before, _emulator.Requests(Emulator.TlspcRoute));
        Secrets.AssertNotLeaked(result, jwt);
    }

    [Fact]
    public void ExpiredJwt_InScriptSession_IsRefusedBeforeAnyRequest()
    {
        string jwt = Secrets.ExpiredJwt();
        using var ps = new PsSession();
        long before = _emulator.Requests(Emulator.TlspcRoute);
        var result = ps.Run("$VenafiSession = [pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Jwt } }; New-VcToken",
            ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        AssertError(result, "ExpiredJwt", ErrorCategory.InvalidArgument);
        Assert.Equal(before, _emulator.Requests(Emulator.TlspcRoute));
    }

    [Fact]
    public void MalformedJwt_IsArgumentError()
    {
        using var ps = new PsSession();
        long before = _emulator.Requests(Emulator.TlspcRoute);
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt 'not-a-jwt'", ("Endpoint", _emulator.TlspcEndpoint()));
        var error = AssertError(result, "MalformedJwt", ErrorCategory.InvalidArgument);
        Assert.IsType<ArgumentException>(error.Exception);
        Assert.Equal(before, _emulator.Requests(Emulator.TlspcRoute));
    }

    [Fact]
    public void InvalidJsonResponse_IsInvalidResult()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", _emulator.TlspcEndpoint("invalid-json")), ("Jwt", Secrets.Jwt()));
        var error = AssertError(result, "InvalidResponse", ErrorCategory.InvalidResult);
        Assert.IsType<InvalidOperationException>(error.Exception);
    }

    [Fact]
    public void Hang_IsTimeout()
    {
        using var ps = new PsSession();
        var watch = System.Diagnostics.Stopwatch.StartNew();
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", _emulator.TlspcEndpoint("hang")), ("Jwt", Secrets.Jwt()));
        var error = AssertError(result, "Timeout", ErrorCategory.OperationTimeout);
        Assert.IsType<TimeoutException>(error.Exception);
        Assert.InRange(watch.Elapsed.TotalSeconds, NativeEnvironment.TimeoutSeconds - 1, NativeEnvironment.TimeoutSeconds + 20);
    }

    [Fact]
    public void ConnectionRefused_IsConnectionError()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }
        string endpoint = $"http://127.0.0.1:{port}/v1/oauth2/v2.0/{Emulator.Tenant}/token";
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt()));
        var error = AssertError(result, "ConnectFailed", ErrorCategory.ConnectionError);
        var exception = Assert.IsType<HttpRequestException>(error.Exception);
        Assert.Equal(HttpRequestError.ConnectionError, exception.HttpRequestError);
        Assert.Equal(endpoint, error.TargetObject);
    }

    [Fact]
    public void UntrustedCertificate_IsTlsFailure()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", _emulator.TlspcHttpsEndpoint()), ("Jwt", Secrets.Jwt()));
        var error = AssertError(result, "TlsFailed", ErrorCategory.SecurityError);
        var exception = Assert.IsType<HttpRequestException>(error.Exception);
        Assert.Equal(HttpRequestError.SecureConnectionError, exception.HttpRequestError);
        Assert.Contains("SSL_CERT_FILE", exception.Message);
    }

    [Fact]
    public void PositionalArguments_AreRejected()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken $Endpoint $Jwt", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", Secrets.Jwt()));
        Assert.Equal("PositionalParameterNotFound,New-VcToken", result.Error.FullyQualifiedErrorId);
    }

    [Fact]
    public void EmptyJwt_IsRejectedByValidation()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt ''", ("Endpoint", _emulator.TlspcEndpoint()));
        Assert.Equal("ParameterArgumentValidationError,New-VcToken", result.Error.FullyQualifiedErrorId);
    }

    [Fact]
    public void FailedRefresh_LeavesScriptSessionAsItWas()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run(@"
            $null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
            $before = $VenafiSession.Token.AccessToken
            $VenafiSession.Token.Endpoint = $Failing
            try { New-VcToken } catch { $caught = $_ }
            [pscustomobject]@{
                Id   = $caught.FullyQualifiedErrorId
                Same = [object]::ReferenceEquals($before, $VenafiSession.Token.AccessToken)
            }", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt), ("Failing", _emulator.TlspcEndpoint("status=500")));
        var check = result.Single;
        Assert.Equal("NativeToken.HttpStatus,New-VcToken", Ps.Prop(check, "Id"));
        Assert.True((bool)Ps.Prop(check, "Same")!);
    }

    [Fact]
    public void CatchInScript_SeesExceptionTypeAndData()
    {
        using var ps = new PsSession();
        var result = ps.Run(@"
            try { New-VcToken -Endpoint $Endpoint -Jwt $Jwt }
            catch [System.Net.Http.HttpRequestException] {
                [pscustomobject]@{ Status = $_.Exception.Data['HttpStatus']; Kind = $_.Exception.Data['NativeTokenErrorKind']; Target = $_.TargetObject }
            }", ("Endpoint", _emulator.TlspcEndpoint("status=404")), ("Jwt", Secrets.Jwt()));
        var check = result.Single;
        Assert.Equal(404, Ps.Prop(check, "Status"));
        Assert.Equal("HttpStatus", Ps.Prop(check, "Kind"));
        Assert.Equal(_emulator.TlspcEndpoint("status=404"), Ps.Prop(check, "Target"));
    }
}
