using System.Text.RegularExpressions;

namespace NativeToken.Tests.Infrastructure;

/// <summary>
/// The parts of a platyPS help file (shared/reference/&lt;Command&gt;.help.md) the tests compare
/// the module with.
/// </summary>
public sealed class HelpFile
{
    private readonly string[] _lines;

    private HelpFile(string command, string[] lines)
    {
        Command = command;
        _lines = lines;
    }

    public string Command { get; }

    public static HelpFile Load(string command)
    {
        string path = Path.Combine(RepoPaths.ReferenceDirectory, command + ".help.md");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The reference help file {path} is missing (shared/reference beside the repository).", path);
        }
        return new HelpFile(command, File.ReadAllLines(path));
    }

    public string Synopsis => Text(Section("SYNOPSIS"));

    public string Description => Text(Section("DESCRIPTION"));

    /// <summary>SYNTAX code blocks by parameter-set heading ("" when the file has a single unnamed block).</summary>
    public IReadOnlyList<(string SetName, bool IsDefault, string Syntax)> Syntax
    {
        get
        {
            var result = new List<(string, bool, string)>();
            string heading = "";
            var section = Section("SYNTAX");
            for (int i = 0; i < section.Count; i++)
            {
                if (section[i].StartsWith("### ", StringComparison.Ordinal))
                {
                    heading = section[i][4..].Trim();
                }
                else if (section[i].StartsWith("```", StringComparison.Ordinal))
                {
                    var block = CodeBlock(section, ref i);
                    bool isDefault = heading.EndsWith("(Default)", StringComparison.Ordinal);
                    string name = heading.Replace("(Default)", "", StringComparison.Ordinal).Trim();
                    result.Add((name, isDefault, string.Join(" ", block)));
                }
            }
            return result;
        }
    }

    /// <summary>EXAMPLES: the code and the remark lines after it.</summary>
    public IReadOnlyList<(string Title, string Code, string Remarks)> Examples
    {
        get
        {
            var result = new List<(string, string, string)>();
            var section = Section("EXAMPLES");
            for (int i = 0; i < section.Count; i++)
            {
                if (!section[i].StartsWith("### ", StringComparison.Ordinal))
                {
                    continue;
                }
                string title = section[i][4..].Trim();
                int j = i + 1;
                while (j < section.Count && !section[j].StartsWith("```", StringComparison.Ordinal))
                {
                    j++;
                }
                var code = CodeBlock(section, ref j);
                var remarks = new List<string>();
                for (j++; j < section.Count && !section[j].StartsWith("### ", StringComparison.Ordinal); j++)
                {
                    remarks.Add(section[j]);
                }
                result.Add((title, string.Join("\n", code).Trim(), Text(remarks)));
                i = j - 1;
            }
            return result;
        }
    }

    /// <summary>PARAMETERS (CommonParameters and ProgressAction excluded): description and yaml blocks.</summary>
    public IReadOnlyList<HelpParameter> Parameters
    {
        get
        {
            var result = new List<HelpParameter>();
            var section = Section("PARAMETERS");
            for (int i = 0; i < section.Count; i++)
            {
                if (!section[i].StartsWith("### -", StringComparison.Ordinal))
                {
                    continue;
                }
                string name = section[i][5..].Trim();
                var description = new List<string>();
                var blocks = new List<IReadOnlyDictionary<string, string>>();
                int j = i + 1;
                for (; j < section.Count && !section[j].StartsWith("### ", StringComparison.Ordinal); j++)
                {
                    if (section[j].StartsWith("```", StringComparison.Ordinal))
                    {
                        var yaml = CodeBlock(section, ref j);
                        blocks.Add(yaml.Where(l => l.Contains(':'))
                            .ToDictionary(l => l[..l.IndexOf(':')].Trim(), l => l[(l.IndexOf(':') + 1)..].Trim()));
                    }
                    else if (blocks.Count == 0)
                    {
                        description.Add(section[j]);
                    }
                }
                if (name != "ProgressAction")
                {
                    result.Add(new HelpParameter(name, Text(description), blocks));
                }
                i = j - 1;
            }
            return result;
        }
    }

    /// <summary>OUTPUTS: the ### lines, '#' and spaces trimmed.</summary>
    public IReadOnlyList<string> Outputs => Section("OUTPUTS")
        .Where(l => l.StartsWith("###", StringComparison.Ordinal))
        .Select(l => l.TrimStart('#').Trim())
        .ToList();

    /// <summary>RELATED LINKS: the URLs.</summary>
    public IReadOnlyList<string> Links => Section("RELATED LINKS")
        .SelectMany(l => Regex.Matches(l, @"\((https?://[^)\s]+)\)").Select(m => m.Groups[1].Value))
        .ToList();

    /// <summary>The lines of "## NAME" up to the next "## " heading.</summary>
    private List<string> Section(string name)
    {
        int start = Array.FindIndex(_lines, l => l.Trim() == "## " + name);
        if (start < 0)
        {
            return new List<string>();
        }
        var lines = new List<string>();
        for (int i = start + 1; i < _lines.Length && !_lines[i].StartsWith("## ", StringComparison.Ordinal); i++)
        {
            lines.Add(_lines[i]);
        }
        return lines;
    }

    /// <summary>Reads a fenced block starting at lines[i]; leaves i on the closing fence.</summary>
    private static List<string> CodeBlock(List<string> lines, ref int i)
    {
        var block = new List<string>();
        for (i++; i < lines.Count && !lines[i].StartsWith("```", StringComparison.Ordinal); i++)
        {
            block.Add(lines[i]);
        }
        return block;
    }

    /// <summary>Non-empty lines, trimmed, joined with single spaces.</summary>
    public static string Text(IEnumerable<string> lines) =>
        Normalize(string.Join(" ", lines.Where(l => !string.IsNullOrWhiteSpace(l))));

    public static string Normalize(string text) => Regex.Replace(text, @"\s+", " ").Trim();
}

public sealed record HelpParameter(string Name, string Description, IReadOnlyList<IReadOnlyDictionary<string, string>> Blocks);
