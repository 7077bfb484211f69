using Xunit;

namespace NativeToken.Tests.Infrastructure;

/// <summary>
/// A runspace in which good sessions were begun with marker secrets: a TLSPC session
/// (<c>New-VcToken -Endpoint $Endpoint -Jwt $Jwt</c>, a JWT with subject <c>svc-marker</c>) and an
/// Armor session (<c>New-ArmorApiToken -Code $Code</c> against the emulator over loopback http).
/// <c>$Endpoint</c>, <c>$Jwt</c> and <c>$Code</c> stay set in the runspace for the calls under test.
/// <para>
/// <see cref="RunFailing"/> runs a call that must fail and checks what every failure must keep:
/// no output; the module's <c>$VenafiSession</c> (same objects, same values) and both native
/// sessions as they were; and none of the secrets (the marker JWT and code, the access tokens
/// the emulator issued for them, and the call's own <c>Jwt</c>/<c>Code</c> variables) in any
/// record of the call or in the emulator's log. The native store is process-wide, so tests
/// using this class run in <see cref="NativeSessionStoreCollection"/>.
/// </para>
/// </summary>
public sealed class BaselineSession : IDisposable
{
    /// <summary>Variables whose values are secrets when a call under test sets them.</summary>
    private static readonly string[] SecretVariables = { "Jwt", "Code" };

    /// <summary>Shorter values cannot be told apart from ordinary text in a message.</summary>
    private const int ShortestRecognisableSecret = 16;

    private const string ReadModuleSession = @"
        $t = $VenafiSession.Token
        [pscustomobject]@{
            Endpoint    = $t.Endpoint
            Jwt         = $t.JWT.GetNetworkCredential().Password
            AccessToken = $t.AccessToken.GetNetworkCredential().Password
            Expires     = $t.Expires
            SameObjects = [object]::ReferenceEquals($VenafiSession, $NtBaselineSession) -and
                          [object]::ReferenceEquals($t, $NtBaselineToken) -and
                          [object]::ReferenceEquals($Global:ArmorSession, $NtBaselineArmorSession)
        }";

    private readonly Emulator _emulator;
    private readonly PsSession _ps = new();
    private readonly ModuleSession _module;
    private readonly StoredSession _vc;
    private readonly StoredSession _armor;

    public BaselineSession(Emulator emulator)
    {
        _emulator = emulator;
        Endpoint = emulator.TlspcEndpoint();
        Jwt = Secrets.Jwt(subject: "svc-marker");
        Code = Secrets.ArmorCode();
        _ps.Run(@"
            $null = New-VcToken -Endpoint $Endpoint -Jwt $Jwt
            $Global:ArmorSession = [pscustomobject]@{ Server = $ArmorServer; ApiVersion = 'v1.0' }
            $null = New-ArmorApiToken -Code $Code
            $NtBaselineSession = $VenafiSession
            $NtBaselineToken = $VenafiSession.Token
            $NtBaselineArmorSession = $Global:ArmorSession",
            ("Endpoint", Endpoint), ("Jwt", Jwt), ("Code", Code), ("ArmorServer", emulator.HttpUrl)).ThrowIfFailed("Beginning the baseline sessions");
        _module = ReadModule();
        _vc = NativeStore.Vc() ?? throw new InvalidOperationException("The native store holds no TLSPC session after New-VcToken -Endpoint.");
        _armor = NativeStore.Armor() ?? throw new InvalidOperationException("The native store holds no Armor session after New-ArmorApiToken.");
        Assert.True(_module.SameObjects);
        Assert.Equal((Endpoint, Jwt, _module.AccessToken), (_vc.Endpoint, _vc.Jwt, _vc.AccessToken));
    }

    /// <summary>The marker session's TLSPC token endpoint (the fixture emulator, no fault).</summary>
    public string Endpoint { get; }

    /// <summary>The marker JWT.</summary>
    public string Jwt { get; }

    /// <summary>The marker Armor code.</summary>
    public string Code { get; }

    /// <summary>The marker secrets and the access tokens the emulator issued for them.</summary>
    public IReadOnlyList<string> MarkerSecrets => new[] { Jwt, Code, _vc.AccessToken, _armor.AccessToken };

    /// <summary>
    /// Runs <paramref name="script"/>, a call that must fail, and checks that it output nothing,
    /// changed no session and leaked no secret (see the class summary).
    /// </summary>
    public PsResult RunFailing(string script, params (string Name, object? Value)[] variables)
    {
        var result = _ps.Run(script, variables);
        Assert.False(result.Succeeded, "The call was expected to fail.");
        Assert.Empty(result.Output);
        AssertUnchanged();
        string[] secrets = MarkerSecrets.Concat(variables
                .Where(v => SecretVariables.Contains(v.Name) && v.Value is string { Length: >= ShortestRecognisableSecret })
                .Select(v => (string)v.Value!))
            .ToArray();
        Secrets.AssertNotLeaked(result, secrets);
        Secrets.AssertNotLogged(_emulator, secrets);
        return result;
    }

    public void Dispose() => _ps.Dispose();

    private void AssertUnchanged()
    {
        Assert.Equal(_module, ReadModule());
        Assert.Equal(_vc, NativeStore.Vc());
        Assert.Equal(_armor, NativeStore.Armor());
    }

    private ModuleSession ReadModule()
    {
        var state = _ps.Run(ReadModuleSession).Single;
        return new ModuleSession(
            (string)Ps.Prop(state, "Endpoint")!,
            (string)Ps.Prop(state, "Jwt")!,
            (string)Ps.Prop(state, "AccessToken")!,
            (DateTime)Ps.Prop(state, "Expires")!,
            (bool)Ps.Prop(state, "SameObjects")!);
    }

    private sealed record ModuleSession(string Endpoint, string Jwt, string AccessToken, DateTime Expires, bool SameObjects);
}
