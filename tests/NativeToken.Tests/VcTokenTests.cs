using System.Management.Automation;
using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>New-VcToken against the emulator: the help's examples and every parameter set.</summary>
public sealed class VcTokenTests : IClassFixture<EmulatorFixture>
{
    private readonly Emulator _emulator;

    public VcTokenTests(EmulatorFixture fixture) => _emulator = fixture.Emulator;

    private static readonly string[] TokenProperties = { "Endpoint", "AccessToken", "JWT", "Expires" };

    /// <summary>Checks the token object of the contract: names, order, types, values.</summary>
    private static void AssertTokenObject(PSObject token, string endpoint, string jwt)
    {
        AssertCustomObject(token);
        Assert.Equal(TokenProperties, Ps.PropertyNames(token));
        Assert.Equal(endpoint, Assert.IsType<string>(Ps.Prop(token, "Endpoint")));
        var access = Assert.IsType<PSCredential>(Ps.Prop(token, "AccessToken"));
        Assert.Equal("AccessToken", access.UserName);
        Assert.Matches("^[0-9a-f]{32,}$", access.GetNetworkCredential().Password);
        var jwtCredential = Assert.IsType<PSCredential>(Ps.Prop(token, "JWT"));
        Assert.Equal("JWT", jwtCredential.UserName);
        Assert.Equal(jwt, jwtCredential.GetNetworkCredential().Password);
        var expires = Assert.IsType<DateTime>(Ps.Prop(token, "Expires"));
        Assert.Equal(DateTimeKind.Utc, expires.Kind);
        // The emulator's expires_in is 3600 s.
        var expected = DateTime.UtcNow.AddSeconds(3600);
        Assert.InRange(expires, expected.AddSeconds(-120), expected.AddSeconds(5));
    }

    /// <summary>The objects are what [pscustomobject]@{...} makes in the pure-PowerShell original,
    /// so that formatting, Get-Member and scripts that test the type see no difference.</summary>
    private static void AssertCustomObject(PSObject value)
    {
        Assert.IsType<PSCustomObject>(value.BaseObject);
        Assert.Equal("System.Management.Automation.PSCustomObject", value.TypeNames[0]);
        Assert.All(value.Properties, p => Assert.IsType<PSNoteProperty>(p));
    }

    private string ExampleCode(int number)
    {
        var example = HelpFile.Load("New-VcToken").Examples[number - 1];
        Assert.Equal($"EXAMPLE {number}", example.Title);
        return example.Code;
    }

    [Fact]
    public void Example2_EndpointAndJwt_ReturnsTokenObjectAndStoresScriptSession()
    {
        string jwt = Secrets.Jwt();
        string endpoint = _emulator.TlspcEndpoint();
        // The example, with the emulator in place of api.venafi.cloud (same tenant GUID).
        string code = ExampleCode(2).Replace("https://api.venafi.cloud", _emulator.HttpUrl, StringComparison.Ordinal);
        Assert.Contains(endpoint, code);
        using var ps = new PsSession();
        long before = _emulator.Requests(Emulator.TlspcRoute);

        var result = ps.Run(code, ("Jwt", jwt));

        var token = result.Single;
        AssertTokenObject(token, endpoint, jwt);
        Assert.Equal(before + 1, _emulator.Requests(Emulator.TlspcRoute));

        var session = ps.Run("$VenafiSession").Single;
        AssertCustomObject(session);
        Assert.Equal(new[] { "Platform", "Server", "Token" }, Ps.PropertyNames(session));
        Assert.Equal("VC", Ps.Prop(session, "Platform"));
        Assert.Equal(_emulator.HttpUrl, Ps.Prop(session, "Server"));
        Assert.Same(token.BaseObject, Ps.Unwrap(session.Properties["Token"].Value));
        Secrets.AssertNotLeaked(result, jwt, Ps.Password(token.Properties["AccessToken"].Value));
    }

    [Fact]
    public void Example1_ScriptSession_RefreshesTokenInPlaceAndOutputsNothing()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        ps.Run("$t = New-VcToken -Endpoint $Endpoint -Jwt $Jwt; $a1 = $t.AccessToken; $e1 = $t.Expires; $j1 = $t.JWT",
            ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt)).ThrowIfFailed("New-VcToken -Endpoint");
        long before = _emulator.Requests(Emulator.TlspcRoute);

        var result = ps.Run(ExampleCode(1));

        result.ThrowIfFailed("New-VcToken");
        Assert.Empty(result.Output);
        Assert.Equal(before + 1, _emulator.Requests(Emulator.TlspcRoute));
        var check = ps.Run(@"
            [pscustomobject]@{
                SameToken       = [object]::ReferenceEquals($VenafiSession.Token, $t)
                SameJwt         = [object]::ReferenceEquals($t.JWT, $j1)
                NewCredential   = -not [object]::ReferenceEquals($t.AccessToken, $a1)
                OldAccess       = $a1.GetNetworkCredential().Password
                NewAccess       = $t.AccessToken.GetNetworkCredential().Password
                NotEarlier      = $t.Expires -ge $e1
                Kind            = $t.Expires.Kind
            }").Single;
        Assert.True((bool)Ps.Prop(check, "SameToken")!);
        Assert.True((bool)Ps.Prop(check, "SameJwt")!);
        Assert.True((bool)Ps.Prop(check, "NewCredential")!);
        Assert.NotEqual(Ps.Prop(check, "OldAccess"), Ps.Prop(check, "NewAccess"));
        Assert.True((bool)Ps.Prop(check, "NotEarlier")!);
        Assert.Equal(DateTimeKind.Utc, Ps.Prop(check, "Kind"));
        AssertTokenObject(ps.Run("$t").Single, _emulator.TlspcEndpoint(), jwt);
    }

    [Fact]
    public void ScriptSession_RepeatedRefreshes_KeepWorking()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run(@"
            $null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
            $seen = @{}
            for ($i = 0; $i -lt 5; $i++) {
                New-VcToken
                $seen[$VenafiSession.Token.AccessToken.GetNetworkCredential().Password] = 1
            }
            $seen.Count", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        Assert.Equal(5, Assert.IsType<int>(result.Single.BaseObject));
    }

    [Fact]
    public void Example3_ModuleMadeSession_ReturnsNewTokenAndLeavesSessionAlone()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        ps.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt; $sess = $VenafiSession; $old = $sess.Token.AccessToken",
            ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt)).ThrowIfFailed("New-VcToken -Endpoint");

        var result = ps.Run(ExampleCode(3));

        var token = result.Single;
        AssertTokenObject(token, _emulator.TlspcEndpoint(), jwt);
        var check = ps.Run(@"[pscustomobject]@{
                Unchanged = [object]::ReferenceEquals($sess.Token.AccessToken, $old)
                Different = $old.GetNetworkCredential().Password -ne $Result.AccessToken.GetNetworkCredential().Password
            }", ("Result", token)).Single;
        Assert.True((bool)Ps.Prop(check, "Unchanged")!);
        Assert.True((bool)Ps.Prop(check, "Different")!);
    }

    [Fact]
    public void Session_HandMadeWithPSCredentialJwt_ReturnsTokenObject()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run(@"
            $sess = [pscustomobject]@{
                Platform = 'VC'
                Token    = [pscustomobject]@{
                    Endpoint = $Endpoint
                    JWT      = [pscredential]::new('JWT', [System.Net.NetworkCredential]::new('', $Jwt).SecurePassword)
                }
            }
            New-VcToken -VenafiSession $sess", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        AssertTokenObject(result.Single, _emulator.TlspcEndpoint(), jwt);
        Assert.Null(ps.GetVariable("VenafiSession"));
    }

    [Fact]
    public void Session_HandMadeWithStringJwt_ReturnsTokenObject()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Jwt } })",
            ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        AssertTokenObject(result.Single, _emulator.TlspcEndpoint(), jwt);
    }

    [Fact]
    public void Session_HashtableSession_IsAccepted()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -VenafiSession @{ Token = @{ Endpoint = $Endpoint; JWT = $Jwt } }",
            ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        AssertTokenObject(result.Single, _emulator.TlspcEndpoint(), jwt);
    }

    [Fact]
    public void Session_JwtParameter_OverridesStoredJwt()
    {
        string stored = Secrets.ExpiredJwt();   // would be refused if it were used
        string given = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Stored } }) -Jwt $Given",
            ("Endpoint", _emulator.TlspcEndpoint()), ("Stored", stored), ("Given", given));
        AssertTokenObject(result.Single, _emulator.TlspcEndpoint(), given);
    }

    [Fact]
    public void Session_HandMadeWithoutJwtButWithJwtParameter_Works()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken -Jwt $Jwt -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint } })",
            ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        AssertTokenObject(result.Single, _emulator.TlspcEndpoint(), jwt);
    }

    [Fact]
    public void ScriptSession_HandMadeSessionAssignedToExportedVariable_IsRefreshedInPlace()
    {
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        var result = ps.Run(@"
            $VenafiSession = [pscustomobject]@{
                Platform = 'VC'
                Server   = 'ignored'
                Token    = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Jwt }
            }
            $tok = $VenafiSession.Token
            New-VcToken
            [pscustomobject]@{
                Same    = [object]::ReferenceEquals($VenafiSession.Token, $tok)
                Names   = ($tok.psobject.Properties | ForEach-Object Name) -join ','
                Access  = $tok.AccessToken.GetNetworkCredential().Password
                Kind    = $tok.Expires.Kind
            }", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt));
        var check = result.Single;
        Assert.True((bool)Ps.Prop(check, "Same")!);
        Assert.Equal("Endpoint,JWT,AccessToken,Expires", Ps.Prop(check, "Names"));
        Assert.Matches("^[0-9a-f]{32,}$", (string)Ps.Prop(check, "Access")!);
        Assert.Equal(DateTimeKind.Utc, Ps.Prop(check, "Kind"));
    }

    [Fact]
    public void ScriptSession_AfterTokenJwtReplaced_UsesTheNewJwt()
    {
        string first = Secrets.Jwt(subject: "svc-first");
        string second = Secrets.Jwt(subject: "svc-second");
        using var ps = new PsSession();
        var result = ps.Run(@"
            $null = New-VcToken -Endpoint $Endpoint -Jwt $First
            $VenafiSession.Token.JWT = [pscredential]::new('JWT', [System.Net.NetworkCredential]::new('', $Second).SecurePassword)
            New-VcToken
            $VenafiSession.Token.JWT.GetNetworkCredential().Password",
            ("Endpoint", _emulator.TlspcEndpoint()), ("First", first), ("Second", second));
        Assert.Equal(second, result.Single.BaseObject);
        Assert.True(_emulator.WaitForLog(line => line.Contains("sub=\"svc-second\"", StringComparison.Ordinal)), "no request with the new JWT");
    }

    [Fact]
    public void Endpoint_AnotherTenantAndHttpsHost_ServerIsSchemeHostPort()
    {
        string jwt = Secrets.Jwt();
        const string tenant = "0a1b2c3d-4e5f-6789-abcd-ef0123456789";
        string endpoint = _emulator.TlspcEndpoint(tenant: tenant);
        using var ps = new PsSession();
        var token = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", jwt)).Single;
        AssertTokenObject(token, endpoint, jwt);
        Assert.Equal(_emulator.HttpUrl, ps.Run("$VenafiSession.Server").Single.BaseObject);
    }

    [Fact]
    public void Verbose_SaysWhatIsSentWhereHowLongAndExpiry_WithoutSecrets()
    {
        string jwt = Secrets.Jwt();
        string endpoint = _emulator.TlspcEndpoint();
        using var ps = new PsSession();
        var result = ps.Run("$t = New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose; New-VcToken -Verbose; $t",
            ("Endpoint", endpoint), ("Jwt", jwt));
        var token = result.Single;
        Assert.Contains(result.Verbose, v => v.StartsWith("POST " + endpoint, StringComparison.Ordinal));
        Assert.Contains(result.Verbose, v => v.Contains(" ms", StringComparison.Ordinal) && v.Contains("expires", StringComparison.Ordinal));
        Assert.Contains(result.Verbose, v => v.StartsWith("native: ", StringComparison.Ordinal));
        Assert.Contains(result.Verbose, v => v.Contains("script scoped variable VenafiSession", StringComparison.Ordinal));
        Secrets.AssertNotLeaked(result, jwt, Ps.Password(token.Properties["AccessToken"].Value));
    }

    [Fact]
    public void NoVerbose_WritesNoRecords()
    {
        using var ps = new PsSession();
        var result = ps.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt; New-VcToken",
            ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", Secrets.Jwt()));
        result.ThrowIfFailed("New-VcToken");
        Assert.Empty(result.Verbose);
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void WindowsPowerShellStringPath_MarshalCopy_GivesTheSameResult()
    {
        // Windows PowerShell 5.1 has no Marshal.PtrToStringUTF8: force the module's fallback.
        string jwt = Secrets.Jwt();
        using var ps = new PsSession();
        ps.Run("& (Get-Module NativeToken) { $script:HasPtrToStringUtf8 = $false }").ThrowIfFailed("forcing the fallback");
        var token = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", jwt)).Single;
        AssertTokenObject(token, _emulator.TlspcEndpoint(), jwt);
        var error = ps.Run("New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", _emulator.TlspcEndpoint("status=500")), ("Jwt", jwt)).Error;
        Assert.Contains("HTTP 500", error.Exception.Message);
    }

    [Fact]
    public void ExportedVariable_IsNullBeforeAnyCall()
    {
        using var ps = new PsSession();
        var result = ps.Run("$null -eq $VenafiSession; $ExecutionContext.SessionState.PSVariable.Get('VenafiSession').Name");
        result.ThrowIfFailed("reading VenafiSession");
        Assert.Equal(true, result.Output[0].BaseObject);
        Assert.Equal("VenafiSession", result.Output[1].BaseObject);
    }
}
