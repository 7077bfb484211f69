using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// New-VcToken without parameters refreshes through the native session store when the script
/// session is the one the module began. The store is process-wide: these tests check that a
/// runspace never refreshes with another runspace's JWT. They run alone (see the collection).
/// </summary>
[Collection(NativeSessionStoreCollection.Name)]
public sealed class SessionStoreTests
{
    private const string RefreshVerbose = "refresh with the stored endpoint and JWT";

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
    public void ScriptSession_UsesNativeRefresh_WhenSessionIsTheModulesOwn()
    {
        using var ps = new PsSession();
        ps.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", Secrets.Jwt(subject: "svc-own")))
            .ThrowIfFailed("New-VcToken -Endpoint");
        int before = TokenLines();

        var result = ps.Run("New-VcToken -Verbose");

        result.ThrowIfFailed("New-VcToken");
        Assert.Contains(result.Verbose, v => v.Contains(RefreshVerbose, StringComparison.Ordinal));
        Assert.Equal("svc-own", LastSubject(before + 1));
    }

    [Fact]
    public void ScriptSession_AnotherRunspaceReplacedTheStore_RefreshStillUsesOwnJwt()
    {
        using var a = new PsSession();
        using var b = new PsSession();
        string endpoint = _emulator.TlspcEndpoint();
        a.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt(subject: "svc-a"))).ThrowIfFailed("A");
        // The module tells sessions apart by their expiry (ms) before refreshing; two sessions
        // begun within the same millisecond are caught after the refresh instead (one wasted
        // request, see ScriptSession_StoreReplacedUnnoticedBeforeRefresh_StillEndsWithOwnJwt).
        Thread.Sleep(5);
        b.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt(subject: "svc-b"))).ThrowIfFailed("B");
        int lines = TokenLines();

        var refreshA = a.Run("New-VcToken -Verbose");
        refreshA.ThrowIfFailed("A refresh");
        Assert.Equal("svc-a", LastSubject(lines + 1));
        var refreshB = b.Run("New-VcToken -Verbose");
        refreshB.ThrowIfFailed("B refresh");
        Assert.Equal("svc-b", LastSubject(lines + 2));
        var againB = b.Run("New-VcToken -Verbose");
        againB.ThrowIfFailed("B refresh again");
        Assert.Equal("svc-b", LastSubject(lines + 3));
        // The store held B's session when A refreshed: A noticed and began again with its own JWT.
        Assert.Contains(refreshA.Verbose, v => v.Contains("another session", StringComparison.Ordinal));
        Assert.Contains(againB.Verbose, v => v.Contains(RefreshVerbose, StringComparison.Ordinal));
        Assert.DoesNotContain(againB.Verbose, v => v.Contains("another session", StringComparison.Ordinal));
        // One request per call: nothing was sent with the other runspace's JWT.
        Thread.Sleep(200);
        Assert.Equal(lines + 3, TokenLines());
    }

    [Fact]
    public void ScriptSession_StoreReplacedUnnoticedBeforeRefresh_StillEndsWithOwnJwt()
    {
        // Make the pre-check pass although the store holds B's session (as when A and B began in
        // the same millisecond): the check after the refresh must catch it and begin again.
        using var a = new PsSession();
        using var b = new PsSession();
        string endpoint = _emulator.TlspcEndpoint();
        a.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt(subject: "svc-a2"))).ThrowIfFailed("A");
        Thread.Sleep(5);
        b.Run("$null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt", ("Endpoint", endpoint), ("Jwt", Secrets.Jwt(subject: "svc-b2"))).ThrowIfFailed("B");
        long storeExpiry = (long)b.Run("& (Get-Module NativeToken) { $script:VcStoreExpiresMs }").Single.BaseObject;
        a.Run("& (Get-Module NativeToken) { $script:VcStoreExpiresMs = $args[0] } $e", ("e", storeExpiry)).ThrowIfFailed("faking the pre-check");
        int lines = TokenLines();

        var refresh = a.Run("New-VcToken -Verbose; $VenafiSession.Token.JWT.GetNetworkCredential().Password");

        refresh.ThrowIfFailed("A refresh");
        Assert.Equal("svc-b2", LastSubject(lines + 1));   // the refresh the store did with B's JWT
        Assert.Equal("svc-a2", LastSubject(lines + 2));   // A noticed and began again with its own
        Assert.Contains(refresh.Verbose, v => v.Contains("another session", StringComparison.Ordinal));
        var again = a.Run("New-VcToken -Verbose");
        again.ThrowIfFailed("A refresh again");
        Assert.Contains(again.Verbose, v => v.Contains(RefreshVerbose, StringComparison.Ordinal));
        Assert.DoesNotContain(again.Verbose, v => v.Contains("another session", StringComparison.Ordinal));
        Assert.Equal("svc-a2", LastSubject(lines + 3));
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
        var result = ps.Run("New-VcToken -Verbose");
        result.ThrowIfFailed("refresh");
        Assert.Contains(result.Verbose, v => v.Contains(RefreshVerbose, StringComparison.Ordinal));
        Assert.Equal("svc-script", LastSubject(lines + 1));
    }
}
