using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// Marker JWTs, codes and the tokens received never appear in any error message,
/// FullyQualifiedErrorId, target object, exception data, verbose, warning, debug or
/// information record, nor in the emulator's log, whatever path a call takes. This class walks
/// success paths and a sample of failures in one runspace; every failure path of
/// <see cref="FaultTests"/> and <see cref="BadInputTests"/> gets the same scan through
/// <see cref="BaselineSession"/>.
/// </summary>
public sealed class SecretScanTests : IClassFixture<EmulatorFixture>
{
    private readonly Emulator _emulator;

    public SecretScanTests(EmulatorFixture fixture) => _emulator = fixture.Emulator;

    [Fact]
    public void TlspcCalls_SuccessAndEveryFailure_LeakNoSecret()
    {
        string jwt = Secrets.Jwt(subject: "svc-secret-scan");
        string expired = Secrets.ExpiredJwt();
        var secrets = new List<string> { jwt, expired };
        using var ps = new PsSession();
        var scripts = new (string Script, string? Endpoint, string Jwt)[]
        {
            ("$t = New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose -Debug; $t.AccessToken.GetNetworkCredential().Password", _emulator.TlspcEndpoint(), jwt),
            ("New-VcToken -Verbose; $VenafiSession.Token.AccessToken.GetNetworkCredential().Password", null, jwt),
            ("(New-VcToken -VenafiSession $VenafiSession -Verbose).AccessToken.GetNetworkCredential().Password", null, jwt),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcEndpoint("status=500"), jwt),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcEndpoint("status=401"), jwt),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcEndpoint("oauth-error"), jwt),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcEndpoint("html"), jwt),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcEndpoint("invalid-json"), jwt),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcEndpoint("wrong-type"), jwt),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcEndpoint("429=1*1"), jwt),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcEndpoint(), expired),
            ("New-VcToken -Endpoint $Endpoint -Jwt $Jwt -Verbose", _emulator.TlspcHttpsEndpoint(), jwt),
            ("New-VcToken -Endpoint $Jwt -Jwt $Endpoint -Verbose", _emulator.TlspcEndpoint(), jwt),
            ("New-VcToken -Endpoint 'not a url' -Jwt $Jwt -Verbose", null, jwt),
            ("$VenafiSession = [pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } }; New-VcToken -Verbose", null, jwt),
            ("New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ JWT = $Jwt } }) -Verbose", null, jwt),
        };
        foreach (var (script, endpoint, token) in scripts)
        {
            var result = ps.Run(script, ("Endpoint", endpoint), ("Jwt", token));
            // Access tokens printed by the script on purpose are secrets too, for the other records.
            secrets.AddRange(result.Output.Select(o => o.BaseObject).OfType<string>());
            Secrets.AssertNotLeaked(result, secrets.ToArray());
        }
        Assert.True(secrets.Count >= 5, "the successful calls returned their tokens");
        Secrets.AssertNotLogged(_emulator, secrets.ToArray());
    }

    [Fact]
    public void ArmorCalls_SuccessAndFailures_LeakNoSecret()
    {
        var trusted = NativeEnvironment.Trusted;
        string code = Secrets.ArmorCode();
        var secrets = new List<string> { code };
        using var ps = new PsSession();
        ps.Run($"$Global:ArmorSession = [pscustomobject]@{{ Server = 'localhost'; Port = {trusted.HttpsPort}; ApiVersion = 'v1.0' }}").ThrowIfFailed("ArmorSession");
        foreach (string script in new[]
                 {
                     "$r = New-ArmorApiToken -Code $Code -Verbose -Debug; $r.access_token; $r.id_token",
                     "New-ArmorApiToken $Code 'AUTHORIZATION_CODE' 'v1.0' -Verbose | ForEach-Object { $_.access_token; $_.id_token }",
                     "New-ArmorApiToken -Code $Code -GrantType 'password' -Verbose",
                     "New-ArmorApiToken -Code $Code -ApiVersion 'v2.0' -Verbose",
                     "New-ArmorApiToken 'authorization_code' $Code -Verbose",
                     "New-ArmorApiToken -Code ($Code.Substring(0, 20)) -Verbose",
                 })
        {
            var result = ps.Run(script, ("Code", code));
            secrets.AddRange(result.Output.Select(o => o.BaseObject).OfType<string>());
            Secrets.AssertNotLeaked(result, secrets.ToArray());
        }
        Assert.True(secrets.Count >= 5, "the successful calls returned their tokens");
        Secrets.AssertNotLogged(trusted, secrets.ToArray());
    }
}
