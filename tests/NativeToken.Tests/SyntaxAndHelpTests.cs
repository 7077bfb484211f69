using System.Management.Automation;
using System.Text.RegularExpressions;
using NativeToken.Tests.Infrastructure;
using Xunit;

namespace NativeToken.Tests;

/// <summary>
/// The commands' syntax, parameter metadata and comment-based help against the reference help
/// files (shared/reference/*.help.md).
/// </summary>
public sealed class SyntaxAndHelpTests : IDisposable
{
    private readonly PsSession _ps = new();

    public void Dispose() => _ps.Dispose();

    public static TheoryData<string> Commands => new() { "New-VcToken", "New-ArmorApiToken" };

    /// <summary>
    /// Whitespace collapsed; ProgressAction folded into CommonParameters, as Get-Command -Syntax
    /// does on PowerShell 7.4+ (platyPS wrote it out).
    /// </summary>
    private static string NormalizeHelpSyntax(string syntax) =>
        HelpFile.Normalize(syntax.Replace("[-ProgressAction <ActionPreference>]", "", StringComparison.Ordinal));

    /// <summary>
    /// A syntax line as PowerShell orders it in Get-Command -Syntax: positional parameters in
    /// position order, then named mandatory, then named optional (each group sorted), then
    /// [&lt;CommonParameters&gt;]. Type names compare case-insensitively: PowerShell 7 prints
    /// accelerator names (&lt;string&gt;), platyPS printed .NET names (&lt;String&gt;).
    /// </summary>
    private static string Canonical(string syntax)
    {
        var tokens = Regex.Matches(HelpFile.Normalize(syntax),
                @"\[\[-\w+\] <[^>]+>\]|\[-\w+\] <[^>]+>|\[-\w+ <[^>]+>\]|-\w+ <[^>]+>|\[-\w+\]|-\w+|\[<CommonParameters>\]")
            .Select(m => m.Value.ToLowerInvariant())
            .ToList();
        var positional = tokens.Where(t => t.Contains("] <", StringComparison.Ordinal)).ToList();
        var mandatory = tokens.Where(t => t.StartsWith('-')).Order(StringComparer.Ordinal);
        var optional = tokens.Where(t => t.StartsWith("[-", StringComparison.Ordinal) && !positional.Contains(t)).Order(StringComparer.Ordinal);
        var common = tokens.Where(t => t == "[<commonparameters>]");
        return string.Join(" ", positional.Concat(mandatory).Concat(optional).Concat(common));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void GetCommandSyntax_MatchesHelpSyntaxBlocks(string command)
    {
        var help = HelpFile.Load(command).Syntax;
        Assert.NotEmpty(help);
        // The -Syntax text itself, one line per parameter set.
        var lines = _ps.Run("Get-Command $c -Syntax", ("c", command)).Single.BaseObject.ToString()!
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(help.Count, lines.Length);
        Assert.All(lines, l => Assert.StartsWith(command + " ", l));
        Assert.Equal(
            help.Select(h => Canonical(NormalizeHelpSyntax(h.Syntax))).Order(),
            lines.Select(Canonical).Order());

        // Per parameter set, by name, with the default set marked as in the help.
        var sets = _ps.Run("(Get-Command $c).ParameterSets | ForEach-Object { [pscustomobject]@{ Name = $_.Name; IsDefault = $_.IsDefault; Syntax = $_.ToString() } }",
            ("c", command)).Output;
        Assert.Equal(help.Count, sets.Count);
        foreach (var (setName, isDefault, syntax) in help)
        {
            var set = setName.Length == 0 ? Assert.Single(sets) : sets.Single(s => (string)Ps.Prop(s, "Name")! == setName);
            if (setName.Length > 0)
            {
                Assert.Equal(isDefault, (bool)Ps.Prop(set, "IsDefault")!);
            }
            Assert.Equal(Canonical(NormalizeHelpSyntax(syntax)), Canonical(command + " " + (string)Ps.Prop(set, "Syntax")!));
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void GetHelpSyntax_MatchesHelpSyntaxBlocksExactly(string command)
    {
        // Get-Help keeps declaration order, as platyPS printed it: compare the text exactly.
        var help = HelpFile.Load(command).Syntax;
        var lines = _ps.Run(@"
            foreach ($item in (Get-Help $c).syntax.syntaxItem) {
                $parts = foreach ($p in $item.parameter) {
                    $type = [string]$p.parameterValue
                    $named = $p.position -eq 'named'
                    $required = $p.required -eq 'true'
                    if ($named -and $required) { '-{0} <{1}>' -f $p.name, $type }
                    elseif ($named) { '[-{0} <{1}>]' -f $p.name, $type }
                    elseif ($required) { '[-{0}] <{1}>' -f $p.name, $type }
                    else { '[[-{0}] <{1}>]' -f $p.name, $type }
                }
                (@($item.name) + @($parts) + '[<CommonParameters>]') -join ' '
            }", ("c", command)).Output.Select(o => o.BaseObject.ToString()!).ToList();
        Assert.Equal(
            help.Select(h => NormalizeHelpSyntax(h.Syntax)).Order(StringComparer.Ordinal),
            lines.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void ParameterMetadata_MatchesHelpParameterBlocks(string command)
    {
        foreach (var parameter in HelpFile.Load(command).Parameters)
        {
            var sets = _ps.Run(@"
                $p = (Get-Command $c).Parameters[$n]
                foreach ($a in $p.Attributes) {
                    if ($a -is [System.Management.Automation.ParameterAttribute]) {
                        [pscustomobject]@{
                            Set = $a.ParameterSetName
                            Mandatory = $a.Mandatory
                            Position = $a.Position
                            Type = $p.ParameterType.Name
                            Pipeline = $a.ValueFromPipeline -or $a.ValueFromPipelineByPropertyName
                        }
                    }
                }", ("c", command), ("n", parameter.Name)).Output;
            Assert.True(sets.Count > 0, $"{command} has no parameter {parameter.Name}");
            foreach (var block in parameter.Blocks)
            {
                string setName = block["Parameter Sets"] == "(All)" ? "__AllParameterSets" : block["Parameter Sets"];
                var set = sets.Single(s => (string)Ps.Prop(s, "Set")! == setName);
                Assert.Equal(block["Type"], Ps.Prop(set, "Type"));
                Assert.Equal(block["Required"] == "True", Ps.Prop(set, "Mandatory"));
                Assert.Equal(block["Accept pipeline input"] == "True", Ps.Prop(set, "Pipeline"));
                int position = (int)Ps.Prop(set, "Position")!;
                // platyPS positions count from 1; the attribute counts from 0.
                Assert.Equal(block["Position"], position == int.MinValue ? "Named" : (position + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }
            Assert.Equal(parameter.Blocks.Count, sets.Count);
        }
    }

    [Fact]
    public void ArmorDefaults_AreThoseOfTheHelp()
    {
        var defaults = _ps.Run(@"
            $ast = (Get-Command New-ArmorApiToken).ScriptBlock.Ast
            foreach ($p in $ast.Body.ParamBlock.Parameters) {
                [pscustomobject]@{ Name = $p.Name.VariablePath.UserPath; Default = if ($p.DefaultValue) { $p.DefaultValue.Extent.Text } else { 'None' } }
            }").Output.ToDictionary(o => (string)Ps.Prop(o, "Name")!, o => (string)Ps.Prop(o, "Default")!);
        foreach (var parameter in HelpFile.Load("New-ArmorApiToken").Parameters)
        {
            string expected = parameter.Blocks[0]["Default value"];
            Assert.Equal(expected, defaults[parameter.Name].Trim('\''));
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void GetHelpFull_ShowsSynopsisDescriptionParametersExamplesAndOutputs(string command)
    {
        var file = HelpFile.Load(command);
        var help = _ps.Run(@"
            $h = Get-Help $c -Full
            [pscustomobject]@{
                Synopsis    = [string]$h.Synopsis
                Description = ($h.description | ForEach-Object Text) -join ' '
                Parameters  = @($h.parameters.parameter | ForEach-Object { [pscustomobject]@{ Name = $_.name; Description = ($_.description | ForEach-Object Text) -join ' ' } })
                Examples    = @($h.examples.example | ForEach-Object { [pscustomobject]@{ Title = $_.title; Code = $_.code; Remarks = ($_.remarks | ForEach-Object Text) -join ' ' } })
                Inputs      = (@($h.inputTypes.inputType | ForEach-Object { $_.type.name }) -join ' ')
                Outputs     = (@($h.returnValues.returnValue | ForEach-Object { $_.type.name }) -join ' ')
                Links       = @($h.relatedLinks.navigationLink | ForEach-Object { [string]$_.uri + [string]$_.linkText })
            }", ("c", command)).Single;

        Assert.Equal(file.Synopsis, HelpFile.Normalize((string)Ps.Prop(help, "Synopsis")!));
        Assert.Equal(file.Description, HelpFile.Normalize((string)Ps.Prop(help, "Description")!));

        var parameters = ((object[])Ps.Prop(help, "Parameters")!).Cast<PSObject>()
            .ToDictionary(p => (string)Ps.Prop(p, "Name")!, p => HelpFile.Normalize((string)Ps.Prop(p, "Description")!));
        foreach (var parameter in file.Parameters)
        {
            Assert.True(parameters.ContainsKey(parameter.Name), $"Get-Help lists no parameter {parameter.Name}");
            Assert.Equal(parameter.Description, parameters[parameter.Name]);
        }

        var examples = ((object[])Ps.Prop(help, "Examples")!).Cast<PSObject>().ToList();
        Assert.Equal(file.Examples.Count, examples.Count);
        for (int i = 0; i < examples.Count; i++)
        {
            Assert.Equal(file.Examples[i].Code, HelpFile.Normalize((string)Ps.Prop(examples[i], "Code")!));
            Assert.Equal(file.Examples[i].Remarks, HelpFile.Normalize((string)Ps.Prop(examples[i], "Remarks")!));
        }

        Assert.StartsWith("None", HelpFile.Normalize((string)Ps.Prop(help, "Inputs")!));
        string outputs = HelpFile.Normalize((string)Ps.Prop(help, "Outputs")!);
        foreach (string line in file.Outputs)
        {
            Assert.Contains(HelpFile.Normalize(line), outputs);
        }

        var links = ((object[])Ps.Prop(help, "Links")!).Select(l => Ps.Unwrap(l)!.ToString()!).Where(l => l.Length > 0).ToList();
        Assert.Equal(file.Links, links);
    }

    [Fact]
    public void OutputType_IsPSCustomObject()
    {
        var types = _ps.Run("(Get-Command New-VcToken).OutputType.Type.FullName; (Get-Command New-ArmorApiToken).OutputType.Type.FullName").Output
            .Select(o => o.BaseObject.ToString()).ToList();
        Assert.Equal(new[] { typeof(PSObject).FullName, typeof(PSObject).FullName }, types);
    }
}
