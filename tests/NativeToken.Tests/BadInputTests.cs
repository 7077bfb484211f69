using System.Management.Automation;
using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// Bad input to both commands. Each is refused before any request (the emulator's statistics do
/// not move) with its own clear error; and, as <see cref="BaselineSession"/> checks, the
/// module's and the native sessions stay as they were and no secret reaches any record or the
/// emulator's log.
/// </summary>
[Collection(NativeSessionStoreCollection.Name)]
public sealed class BadInputTests
{
    private const string ParameterValidation = "ParameterArgumentValidationError";
    private const string ArgumentException = "System.ArgumentException";
    /// <summary>The engine's own (internal) exception for a value that fails parameter validation.</summary>
    private const string BindingException = "System.Management.Automation.ParameterBindingValidationException";
    private const string PayloadNotJson = "<payload not JSON>";
    private const string Expired = "<expired 2020-01-02T03:04:05Z>";
    private const string OneMebibyte = "<1 MiB of x>";
    private const string OneMebibyteUrl = "<https URL of 1 MiB>";
    private const string ExpectedEndpointForm =
        @"^Please enter a valid endpoint, eg\. https://api\.venafi\.cloud/v1/oauth2/v2\.0/<tenant-id>/token \(the Token Endpoint URL shown on the service account details page in TLSPC\)\. -Endpoint is not an absolute http\(s\) URL: ";

    private readonly Emulator _emulator;

    public BadInputTests(EmulatorFixture fixture) => _emulator = fixture.Emulator;

    /// <summary>The value a row names: itself, or one too long or too awkward for an attribute.</summary>
    private static string Value(string row) => row switch
    {
        PayloadNotJson => Secrets.JwtOfParts("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", "this is not JSON"),
        Expired => Secrets.JwtExpiringAt(new DateTimeOffset(2020, 1, 2, 3, 4, 5, TimeSpan.Zero)),
        OneMebibyte => new string('x', 1 << 20),
        OneMebibyteUrl => "https://api.venafi.cloud/" + new string('a', 1 << 20),
        _ => row,
    };

    /// <summary>
    /// Runs <paramref name="script"/> in a <see cref="BaselineSession"/> and checks it was refused
    /// before any request with this error: id (FullyQualifiedErrorId), category, exception type (full name)
    /// and message (a regular expression).
    /// </summary>
    private void AssertRefused(string script, (string Name, object? Value)[] variables, string id, ErrorCategory category, string exception, string message)
    {
        using var baseline = new BaselineSession(_emulator);
        long before = TotalRequests();

        var result = baseline.RunFailing(script, variables);

        var error = result.AssertError(id, category);
        Assert.Equal(exception, error.Exception.GetType().FullName);
        Assert.Matches(message, error.Exception.Message);
        Assert.Equal(before, TotalRequests());
    }

    private long TotalRequests() => _emulator.Stats().Values.Sum();

    [Theory]
    [InlineData("", ParameterValidation, ErrorCategory.InvalidData, BindingException,
        @"^Cannot validate argument on parameter 'Jwt'\. The argument is null or empty\. ")]
    [InlineData("   ", "NativeToken.MalformedJwt", ErrorCategory.InvalidArgument, ArgumentException,
        @"^the JWT is malformed: it has 1 dot-separated parts, expected 3 \(header\.payload\.signature\)$")]
    [InlineData("not-a-jwt", "NativeToken.MalformedJwt", ErrorCategory.InvalidArgument, ArgumentException,
        @"^the JWT is malformed: it has 1 dot-separated parts, expected 3 \(header\.payload\.signature\)$")]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.e30.c2ln.c2ln", "NativeToken.MalformedJwt", ErrorCategory.InvalidArgument, ArgumentException,
        @"^the JWT is malformed: it has 4 dot-separated parts, expected 3 \(header\.payload\.signature\)$")]
    [InlineData("ey+J.e30.c2ln", "NativeToken.MalformedJwt", ErrorCategory.InvalidArgument, ArgumentException,
        @"^the JWT is malformed: the header is not base64url$")]
    [InlineData(PayloadNotJson, "NativeToken.MalformedJwt", ErrorCategory.InvalidArgument, ArgumentException,
        @"^the JWT is malformed: the payload is not a JSON object$")]
    [InlineData(Expired, "NativeToken.ExpiredJwt", ErrorCategory.InvalidArgument, ArgumentException,
        @"^the JWT expired at 2020-01-02T03:04:05Z \(now \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\); create a new JWT for the service account$")]
    [InlineData(OneMebibyte, "NativeToken.InvalidArgument", ErrorCategory.InvalidArgument, ArgumentException,
        @"^jwt is too long: 1048576 bytes, at most 65536$")]
    public void Jwt(string row, string id, ErrorCategory category, string exception, string message) =>
        AssertRefused("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", new (string, object?)[] { ("Jwt", Value(row)) },
            id + ",New-VcToken", category, exception, message);

    [Theory]
    [InlineData("not a url", "NativeToken.InvalidUrl", ExpectedEndpointForm + "'not a url'\\.$")]
    [InlineData("api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token", "NativeToken.InvalidUrl",
        ExpectedEndpointForm + "'api\\.venafi\\.cloud/v1/oauth2/v2\\.0/2222c771-61f3-11ec-8a47-490a1e43c222/token'\\.$")]
    [InlineData("/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token", "NativeToken.InvalidUrl",
        ExpectedEndpointForm + "'/v1/oauth2/v2\\.0/2222c771-61f3-11ec-8a47-490a1e43c222/token'\\.$")]
    [InlineData("ftp://api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token", "NativeToken.InvalidUrl",
        ExpectedEndpointForm + "'ftp://api\\.venafi\\.cloud/v1/oauth2/v2\\.0/2222c771-61f3-11ec-8a47-490a1e43c222/token'\\.$")]
    [InlineData("http://api.venafi.cloud/v1/oauth2/v2.0/2222c771-61f3-11ec-8a47-490a1e43c222/token", "NativeToken.InsecureUrl",
        @"^refusing to send credentials over plain http to api\.venafi\.cloud; use https \(http is allowed only to loopback: 127\.0\.0\.0/8, ::1, localhost\)$")]
    [InlineData(OneMebibyte, "NativeToken.InvalidUrl", ExpectedEndpointForm + "'x{60}\\.\\.\\.' \\(1048576 characters\\)\\.$")]
    [InlineData(OneMebibyteUrl, "NativeToken.InvalidArgument", @"^endpoint is too long: 1048601 bytes, at most 65536$")]
    public void Endpoint(string row, string id, string message) =>
        AssertRefused("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", new (string, object?)[] { ("Endpoint", Value(row)) },
            id + ",New-VcToken", ErrorCategory.InvalidArgument, ArgumentException, message);

    [Theory]
    [InlineData("$null", ParameterValidation, ErrorCategory.InvalidData, BindingException,
        @"^Cannot validate argument on parameter 'VenafiSession'\. The argument is null\. ")]
    [InlineData("[pscustomobject]@{ Platform = 'VC' }", "NativeToken.MissingToken", ErrorCategory.InvalidArgument, ArgumentException,
        @"^The VenafiSession has no Token \(with Token\.Endpoint and Token\.JWT\): it is a System\.Management\.Automation\.PSCustomObject; create it with New-VcToken -Endpoint -Jwt\.$")]
    [InlineData("42", "NativeToken.MissingToken", ErrorCategory.InvalidArgument, ArgumentException,
        @"^The VenafiSession has no Token \(with Token\.Endpoint and Token\.JWT\): it is a System\.Int32; create it with New-VcToken -Endpoint -Jwt\.$")]
    [InlineData("[pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } }", "NativeToken.MissingEndpoint", ErrorCategory.InvalidArgument, ArgumentException,
        @"^The VenafiSession has no token endpoint \(Token\.Endpoint\); create it with New-VcToken -Endpoint -Jwt\.$")]
    [InlineData("[pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint } }", "NativeToken.MissingJwt", ErrorCategory.InvalidArgument, ArgumentException,
        @"^-Jwt must be provided directly or via a VenafiSession\. The VenafiSession has no JWT \(Token\.JWT\)\.$")]
    [InlineData("[pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = 42 } }", "NativeToken.InvalidJwtType", ErrorCategory.InvalidArgument, ArgumentException,
        @"^The VenafiSession's Token\.JWT is a System\.Int32: a JWT is a PSCredential \(password: the JWT\), a SecureString or a string\.$")]
    public void VenafiSession(string session, string id, ErrorCategory category, string exception, string message) =>
        AssertRefused($"New-VcToken -VenafiSession ({session}) -Verbose", Array.Empty<(string, object?)>(),
            id + ",New-VcToken", category, exception, message);

    [Theory]
    [InlineData("New-ArmorApiToken -Code '' -Verbose", ParameterValidation, ErrorCategory.InvalidData, BindingException,
        @"^Cannot validate argument on parameter 'Code'\. The argument is null or empty\. ")]
    [InlineData("New-ArmorApiToken -Code $Code -GrantType 'client_credentials' -Verbose", "NativeToken.InvalidGrantType", ErrorCategory.InvalidArgument, ArgumentException,
        @"^The grant type 'client_credentials' is not supported: -GrantType accepts only 'authorization_code'\.$")]
    [InlineData("New-ArmorApiToken -Code $Code -GrantType 'authorization-code' -Verbose", "NativeToken.InvalidGrantType", ErrorCategory.InvalidArgument, ArgumentException,
        @"^The grant type is not supported: -GrantType accepts only 'authorization_code'\.$")]
    [InlineData("New-ArmorApiToken -Code $Code -ApiVersion 'v2.0' -Verbose", "NativeToken.UnsupportedApiVersion", ErrorCategory.InvalidArgument, ArgumentException,
        @"^The API version 'v2\.0' has no token endpoint: -ApiVersion accepts only 'v1\.0'\.$")]
    [InlineData("New-ArmorApiToken -Code $Code -ApiVersion 'internal' -Verbose", "NativeToken.UnsupportedApiVersion", ErrorCategory.InvalidArgument, ArgumentException,
        @"^The API version 'internal' has no token endpoint: -ApiVersion accepts only 'v1\.0'\.$")]
    public void ArmorInput(string script, string id, ErrorCategory category, string exception, string message) =>
        AssertRefused(script, Array.Empty<(string, object?)>(), id + ",New-ArmorApiToken", category, exception, message);
}
