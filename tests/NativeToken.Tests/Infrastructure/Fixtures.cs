using System.Management.Automation;
using Xunit;

namespace NativeToken.Tests.Infrastructure;

/// <summary>One emulator (HTTP and HTTPS, its certificate not trusted) for a test class.</summary>
public sealed class EmulatorFixture : IDisposable
{
    public EmulatorFixture()
    {
        NativeEnvironment.EnsureInitialized();
        Emulator = Emulator.Start();
    }

    public Emulator Emulator { get; }

    public void Dispose() => Emulator.Dispose();
}

/// <summary>
/// Tests that look at which session the process-wide native store holds run alone: other test
/// classes would replace it in between.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class NativeSessionStoreCollection : ICollectionFixture<EmulatorFixture>
{
    public const string Name = "Native session store";
}

public static class Ps
{
    /// <summary>The .NET object behind a PowerShell value.</summary>
    public static object? Unwrap(object? value) => value is PSObject p ? p.BaseObject : value;

    public static object? Prop(PSObject obj, string name) =>
        Unwrap((obj.Properties[name] ?? throw new Xunit.Sdk.XunitException($"The object has no property {name}.")).Value);

    public static string Password(object? credential) =>
        Assert.IsType<PSCredential>(Unwrap(credential)).GetNetworkCredential().Password;

    public static IReadOnlyList<string> PropertyNames(PSObject obj) => obj.Properties.Select(p => p.Name).ToList();
}
