using System.Management.Automation;
using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// New-VcToken's error records for the script session, swapped parameters and catching in
/// script. Server faults are in <see cref="FaultTests"/>, bad input in <see cref="BadInputTests"/>.
/// </summary>
public sealed class VcTokenErrorTests : IClassFixture<EmulatorFixture>
{
    private const string JwtMissing = "-Jwt must be provided directly or via a VenafiSession.";

    private readonly Emulator _emulator;

    public VcTokenErrorTests(EmulatorFixture fixture) => _emulator = fixture.Emulator;

    private static ErrorRecord AssertError(PsResult result, string id, ErrorCategory category) =>
        result.AssertError($"NativeToken.{id},New-VcToken", category);

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
    public void PositionalArguments_AreRejected()
    {
        using var ps = new PsSession();
        var result = ps.Run("New-VcToken $Endpoint $Jwt", ("Endpoint", _emulator.TlspcEndpoint()), ("Jwt", Secrets.Jwt()));
        Assert.Equal("PositionalParameterNotFound,New-VcToken", result.Error.FullyQualifiedErrorId);
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
