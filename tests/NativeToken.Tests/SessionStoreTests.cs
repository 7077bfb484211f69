using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// New-VcToken without parameters refreshes the runspace's own script session. The native session
/// store is process-wide, so the module always sends that session's own endpoint and JWT (and
/// the store then holds them): a runspace never refreshes with another runspace's JWT, and every
/// refresh is exactly one request. They run alone (see the collection).
/// </summary>
[Collection(NativeSessionStoreCollection.Name)]
public sealed class SessionStoreTests
{
    private readonly Emulator _emulator;

    public SessionStoreTests(EmulatorFixture fixture) => _emulator = fixture.Emulator;

    /// <summary>The subject of the newest TLSPC request in the emulator's log.</summary>
    private string LastSubject(int expectedLines)
    {
        for (int i = 0; i < 100; i++)
        {
            var lines = _emulator.Log.Where(l => l.Contains("/v1/oauth2/v2.0/", StringComparison.Ordinal)).ToList();
            if (lines.Count >= expectedLines)
            {
                var match = System.Text.RegularExpressions.Regex.Match(lines[expectedLines - 1], "sub=\"([^\"]*)\"");
                Assert.True(match.Success, "no sub in " + lines[expectedLines - 1]);
                return match.Groups[1].Value;
            }
            Thread.Sleep(20);
        }
        throw new Xunit.Sdk.XunitException($"the emulator logged fewer than {expectedLines} token requests");
    }

    private int TokenLines() => _emulator.SettledLog().Count(l => l.Contains("/v1/oauth2/v2.0/", StringComparison.Ordinal));

    [Fact]
    public void ScriptSession_Refresh_SendsOwnJwt_AndTheStoreHoldsTheSession()
    {
        using var ps = new PsSession();
        string endpoint = _emulator.TlspcEndpoint();
        string jwt = Secrets.Jwt(subject: "svc-own");
        ps.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", jwt)).ThrowIfFailed("New-VcToken -Endpoint");
        int before = TokenLines();

        var result = ps.Run("New-VcToken; $VenafiSession.Token.AccessToken.GetNetworkCredential().Password");

        result.ThrowIfFailed("New-VcToken");
        Assert.Equal("svc-own", LastSubject(before + 1));
        var stored = Assert.IsType<StoredSession>(NativeStore.Vc());
        Assert.Equal((endpoint, jwt), (stored.Endpoint, stored.Jwt));
        Assert.Equal(stored.AccessToken, (string)result.Single.BaseObject);
    }

    [Fact]
    public void ScriptSession_InterleavedRunspaces_EachRefreshUsesItsOwnJwt_OneRequestEach()
    {
        using var a = new PsSession();
        using var b = new PsSession();
        string endpoint = _emulator.TlspcEndpoint();
        a.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt(subject: "svc-a"))).ThrowIfFailed("A");
        b.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt(subject: "svc-b"))).ThrowIfFailed("B");
        int lines = TokenLines();

        a.Run("New-VcToken").ThrowIfFailed("A refresh");
        Assert.Equal("svc-a", LastSubject(lines + 1));
        b.Run("New-VcToken").ThrowIfFailed("B refresh");
        Assert.Equal("svc-b", LastSubject(lines + 2));
        a.Run("New-VcToken").ThrowIfFailed("A refresh again");
        Assert.Equal("svc-a", LastSubject(lines + 3));

        Thread.Sleep(200);
        Assert.Equal(lines + 3, TokenLines());
    }

    [Fact]
    public void ScriptSession_AfterStatelessSessionCall_StillRefreshesOwnSession()
    {
        using var ps = new PsSession();
        string endpoint = _emulator.TlspcEndpoint();
        ps.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt(subject: "svc-script"))).ThrowIfFailed("begin");
        ps.Run("$null = New-VcToken -VenafiSession ([pscustomobject]@{ Token = [pscustomobject]@{ Endpoint = $Endpoint; JWT = $Jwt } })",
            ("Endpoint", endpoint), ("Jwt", Secrets.Jwt(subject: "svc-other"))).ThrowIfFailed("stateless");
        int lines = TokenLines();
        ps.Run("New-VcToken").ThrowIfFailed("refresh");
        Assert.Equal("svc-script", LastSubject(lines + 1));
    }
}
