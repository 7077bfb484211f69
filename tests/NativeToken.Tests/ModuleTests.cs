using System.Diagnostics;
using System.Text.RegularExpressions;
using NativeToken.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace NativeToken.Tests;

/// <summary>The manifest, what the module exports, and importing it.</summary>
public sealed class ModuleTests
{
    private readonly ITestOutputHelper _output;

    public ModuleTests(ITestOutputHelper output) => _output = output;

    private static string CrateVersion()
    {
        var match = Regex.Match(File.ReadAllText(RepoPaths.CargoToml), @"^\[package\][^\[]*?^version\s*=\s*""([^""]+)""", RegexOptions.Multiline | RegexOptions.Singleline);
        Assert.True(match.Success, "no [package] version in Cargo.toml");
        return match.Groups[1].Value;
    }

    [Fact]
    public void Manifest_IsValidAndDeclaresExactExports()
    {
        using var ps = new PsSession(importModule: false);
        var info = ps.Run(@"
            $m = Test-ModuleManifest -Path $Path -ErrorAction Stop
            [pscustomobject]@{
                Version   = $m.Version.ToString()
                Root      = $m.RootModule
                Functions = @($m.ExportedFunctions.Keys)
                Cmdlets   = @($m.ExportedCmdlets.Keys)
                Variables = @($m.ExportedVariables.Keys)
                Aliases   = @($m.ExportedAliases.Keys)
                Editions  = @($m.CompatiblePSEditions)
                PSVersion = $m.PowerShellVersion.ToString()
                Guid      = $m.Guid
                Desc      = $m.Description
                Tags      = @($m.Tags)
            }", ("Path", RepoPaths.ModuleManifest)).Single;

        Assert.Equal(CrateVersion(), Ps.Prop(info, "Version"));
        Assert.Equal("NativeToken.psm1", Ps.Prop(info, "Root"));
        Assert.Equal(new[] { "New-ArmorApiToken", "New-VcToken" }, Strings(info, "Functions").Order());
        Assert.Empty(Strings(info, "Cmdlets"));
        Assert.Equal(new[] { "VenafiSession" }, Strings(info, "Variables"));
        Assert.Empty(Strings(info, "Aliases"));
        Assert.Equal(new[] { "Core", "Desktop" }, Strings(info, "Editions").Order());
        Assert.Equal("5.1", Ps.Prop(info, "PSVersion"));
        Assert.NotEqual(Guid.Empty, Ps.Prop(info, "Guid"));
        Assert.False(string.IsNullOrWhiteSpace((string?)Ps.Prop(info, "Desc")));
        Assert.NotEmpty(Strings(info, "Tags"));

        // Explicit lists, no wildcards.
        string text = File.ReadAllText(RepoPaths.ModuleManifest);
        foreach (string key in new[] { "FunctionsToExport", "CmdletsToExport", "VariablesToExport", "AliasesToExport" })
        {
            var line = Regex.Match(text, $@"^\s*{key}\s*=\s*(.*)$", RegexOptions.Multiline);
            Assert.True(line.Success, $"the manifest has no {key}");
            Assert.DoesNotContain("*", line.Groups[1].Value);
        }
    }

    [Fact]
    public void ImportedModule_ExportsOnlyTheTwoFunctionsAndTheVariable()
    {
        using var ps = new PsSession();
        var info = ps.Run(@"
            $m = Get-Module NativeToken
            [pscustomobject]@{
                Functions = @($m.ExportedFunctions.Keys)
                Variables = @($m.ExportedVariables.Keys)
                Cmdlets   = @($m.ExportedCmdlets.Keys)
                Aliases   = @($m.ExportedAliases.Keys)
                Commands  = @(Get-Command -Module NativeToken | ForEach-Object Name)
                Private   = @(Get-Command -Name New-NtArgumentError, Get-NtLibraryPath -ErrorAction SilentlyContinue).Count
            }").Single;
        Assert.Equal(new[] { "New-ArmorApiToken", "New-VcToken" }, Strings(info, "Functions").Order());
        Assert.Equal(new[] { "VenafiSession" }, Strings(info, "Variables"));
        Assert.Empty(Strings(info, "Cmdlets"));
        Assert.Empty(Strings(info, "Aliases"));
        Assert.Equal(new[] { "New-ArmorApiToken", "New-VcToken" }, Strings(info, "Commands").Order());
        Assert.Equal(0, Ps.Prop(info, "Private"));
    }

    [Fact]
    public void Import_WithoutNativeLibrary_FailsNamingTheExpectedPath()
    {
        string folder = Path.Combine(Path.GetTempPath(), "nativetoken-nolib-" + Guid.NewGuid().ToString("N"), "NativeToken");
        Directory.CreateDirectory(folder);
        try
        {
            File.Copy(RepoPaths.ModuleManifest, Path.Combine(folder, "NativeToken.psd1"));
            File.Copy(Path.Combine(RepoPaths.ModuleDirectory, "NativeToken.psm1"), Path.Combine(folder, "NativeToken.psm1"));
            using var ps = new PsSession(importModule: false);
            var result = ps.Run("Import-Module -Name $Path", ("Path", Path.Combine(folder, "NativeToken.psd1")));
            string expected = Path.Combine(folder, "lib", RepoPaths.Rid, RepoPaths.NativeLibraryFileName);
            Assert.False(result.Succeeded);
            Assert.Contains(expected, result.Error.Exception.Message);
            Assert.Empty(ps.Run("Get-Module NativeToken").Output);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(folder)!, recursive: true);
        }
    }

    [Fact]
    public void Import_IsFast()
    {
        // Warm the engine (first import in the process pays the JIT), then time a fresh runspace.
        using (new PsSession())
        {
        }
        var times = new List<double>();
        for (int i = 0; i < 3; i++)
        {
            using var ps = new PsSession(importModule: false);
            var watch = Stopwatch.StartNew();
            ps.Run("Import-Module -Name $Path -ErrorAction Stop", ("Path", RepoPaths.ModuleManifest)).ThrowIfFailed("Import-Module");
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        _output.WriteLine("Import-Module in a fresh runspace: " + string.Join(", ", times.Select(t => $"{t:0.0} ms")));
        Assert.True(times.Min() < 500, $"Import-Module took {times.Min():0.0} ms at best");
    }

    [Fact]
    public void ReImport_WithForce_KeepsWorking()
    {
        using var ps = new PsSession();
        var result = ps.Run("Import-Module -Name $Path -Force -ErrorAction Stop; @(Get-Command -Module NativeToken).Count", ("Path", RepoPaths.ModuleManifest));
        Assert.Equal(2, result.Single.BaseObject);
    }

    private static string[] Strings(System.Management.Automation.PSObject obj, string name) =>
        ((object[])Ps.Prop(obj, name)!).Select(o => Ps.Unwrap(o)!.ToString()!).ToArray();
}
