using System.Management.Automation;
using System.Net;
using System.Net.Http;
using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// New-ArmorApiToken over HTTPS against the emulator whose certificate the process trusts
/// (SSL_CERT_FILE, set by <see cref="NativeEnvironment"/> before the library's first call).
/// That emulator is this class's; it lives for the whole run because the library reads the
/// trusted certificates once per process.
/// </summary>
public sealed class ArmorTokenTests
{
    private static readonly string[] OutputProperties = { "access_token", "id_token", "expires_in", "token_type" };

    private readonly Emulator _emulator = NativeEnvironment.Trusted;

    private PsSession NewSession(string? apiVersion = "v1.0", bool withPort = true)
    {
        var ps = new PsSession();
        string port = withPort ? $"; Port = {_emulator.HttpsPort}" : "";
        string version = apiVersion is null ? "" : $"; ApiVersion = '{apiVersion}'";
        ps.Run($"$Global:ArmorSession = [pscustomobject]@{{ Server = '127.0.0.1'{port}{version} }}").ThrowIfFailed("setting $Global:ArmorSession");
        return ps;
    }

    private static void AssertTokenOutput(PSObject output)
    {
        Assert.Equal(OutputProperties, Ps.PropertyNames(output));
        Assert.Matches("^[0-9a-f]{32}$", Assert.IsType<string>(Ps.Prop(output, "access_token")));
        Assert.Equal(600, Assert.IsType<string>(Ps.Prop(output, "id_token")).Length);
        Assert.Equal(15, Assert.IsType<int>(Ps.Prop(output, "expires_in")));
        Assert.Equal("Bearer", Assert.IsType<string>(Ps.Prop(output, "token_type")));
    }

    [Fact]
    public void Example1_CodeFromTheHelp_ReturnsTokenObject()
    {
        var example = HelpFile.Load("New-ArmorApiToken").Examples.Single();
        Assert.Equal("New-ArmorApiToken -Code '+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo='", example.Code);
        using var ps = NewSession();
        long before = _emulator.Requests(Emulator.ArmorTokenRoute);

        var result = ps.Run(example.Code);

        AssertTokenOutput(result.Single);
        Assert.Equal(before + 1, _emulator.Requests(Emulator.ArmorTokenRoute));
        Secrets.AssertNotLeaked(result, "+8oaKtcO9kuVbjUXlfnlHCY3HmXXCidHjzOBGwr+iTo=");
    }

    [Fact]
    public void Positional_CodeGrantTypeApiVersion_AnyGrantTypeCasing()
    {
        string code = Secrets.ArmorCode();
        using var ps = NewSession();
        var result = ps.Run("New-ArmorApiToken $code 'AUTHORIZATION_CODE' 'v1.0'", ("code", code));
        AssertTokenOutput(result.Single);
        AssertTokenOutput(ps.Run("New-ArmorApiToken $code", ("code", Secrets.ArmorCode())).Single);
        AssertTokenOutput(ps.Run("New-ArmorApiToken -Code $code -GrantType 'Authorization_code' -ApiVersion 'V1.0'", ("code", Secrets.ArmorCode())).Single);
    }

    [Fact]
    public void ApiVersion_DefaultsToV10_WhenGlobalSessionHasNone()
    {
        using var ps = NewSession(apiVersion: null);
        AssertTokenOutput(ps.Run("New-ArmorApiToken -Code $code", ("code", Secrets.ArmorCode())).Single);
    }

    [Fact]
    public void ApiVersion_DefaultsToGlobalSessionValue()
    {
        using var ps = NewSession(apiVersion: "internal");
        long before = _emulator.Requests(Emulator.ArmorTokenRoute);
        var result = ps.Run("New-ArmorApiToken -Code $code", ("code", Secrets.ArmorCode()));
        Assert.Equal("NativeToken.UnsupportedApiVersion,New-ArmorApiToken", result.Error.FullyQualifiedErrorId);
        Assert.Equal(before, _emulator.Requests(Emulator.ArmorTokenRoute));
    }

    [Fact]
    public void GrantType_SwappedWithCode_DoesNotEchoTheCode()
    {
        string code = Secrets.ArmorCode();
        using var ps = NewSession();
        var result = ps.Run("New-ArmorApiToken 'authorization_code' $code", ("code", code));
        Assert.Equal("NativeToken.InvalidGrantType,New-ArmorApiToken", result.Error.FullyQualifiedErrorId);
        Secrets.AssertNotLeaked(result, code);
    }

    [Fact]
    public void RefusedCode_IsHttpStatusErrorWithoutTheCode()
    {
        // Well-formed base64 but not 32 bytes: the emulator answers 400 "Invalid authorization code".
        string code = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(24));
        using var ps = NewSession();
        var result = ps.Run("New-ArmorApiToken -Code $code -Verbose", ("code", code));
        var error = result.Error;
        Assert.Equal("NativeToken.HttpStatus,New-ArmorApiToken", error.FullyQualifiedErrorId);
        Assert.Equal(ErrorCategory.ProtocolError, error.CategoryInfo.Category);
        var exception = Assert.IsType<HttpRequestException>(error.Exception);
        Assert.Equal(HttpStatusCode.BadRequest, exception.StatusCode);
        Assert.Contains("Invalid authorization code", exception.Message);
        Assert.Equal($"https://127.0.0.1:{_emulator.HttpsPort}/auth/token", error.TargetObject);
        Secrets.AssertNotLeaked(result, code);
    }

    [Fact]
    public void Port_DefaultsTo443()
    {
        using var ps = NewSession(withPort: false);
        // Nothing listens on 127.0.0.1:443 here: the call fails, but says where it went.
        var result = ps.Run("New-ArmorApiToken -Code $code -Verbose", ("code", Secrets.ArmorCode()));
        Assert.Contains(result.Verbose, v => v.StartsWith("POST https://127.0.0.1:443/auth/token", StringComparison.Ordinal));
        Assert.Equal("https://127.0.0.1:443/auth/token", result.Error.TargetObject);
    }

    [Fact]
    public void Verbose_SaysWhereHowLongAndExpiry_WithoutSecrets()
    {
        string code = Secrets.ArmorCode();
        using var ps = NewSession();
        var result = ps.Run("New-ArmorApiToken -Code $code -Verbose", ("code", code));
        var output = result.Single;
        Assert.Contains(result.Verbose, v => v.StartsWith($"POST https://127.0.0.1:{_emulator.HttpsPort}/auth/token", StringComparison.Ordinal));
        Assert.Contains(result.Verbose, v => v.Contains(" ms", StringComparison.Ordinal) && v.Contains("expires", StringComparison.Ordinal));
        Assert.Contains(result.Verbose, v => v.StartsWith("native: ", StringComparison.Ordinal));
        Secrets.AssertNotLeaked(result, code, (string)Ps.Prop(output, "access_token")!, (string)Ps.Prop(output, "id_token")!);
    }

    [Fact]
    public void WindowsPowerShellStringPath_MarshalCopy_GivesTheSameResult()
    {
        using var ps = NewSession();
        ps.Run("& (Get-Module NativeToken) { $script:HasPtrToStringUtf8 = $false }").ThrowIfFailed("forcing the fallback");
        AssertTokenOutput(ps.Run("New-ArmorApiToken -Code $code", ("code", Secrets.ArmorCode())).Single);
    }

    [Fact]
    public void Code_IsMandatory()
    {
        // An empty code is refused by validation: see BadInputTests.ArmorInput.
        using var ps = NewSession();
        var mandatory = ps.Run("(Get-Command New-ArmorApiToken).Parameters['Code'].Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] } | ForEach-Object Mandatory");
        Assert.Equal(true, mandatory.Single.BaseObject);
    }
}
