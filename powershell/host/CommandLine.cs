using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Management.Automation.Runspaces;
using System.Text;

namespace NativeToken.Host;

/// <summary>The subset of pwsh's command line that psh understands.</summary>
internal sealed class CommandLine
{
    // pwsh's switch names with the shortest abbreviation it accepts for each (any longer
    // prefix of the full name works too, case-insensitively, with one or two leading dashes).
    private static readonly (string Name, string Shortest)[] Switches =
    {
        ("command", "c"),
        ("file", "f"),
        ("encodedcommand", "e"),
        ("ec", "ec"),
        ("executionpolicy", "ex"),
        ("ep", "ep"),
        ("noprofile", "nop"),
        ("noninteractive", "noni"),
        ("nologo", "nol"),
        ("version", "v"),
        ("help", "h"),
        ("?", "?"),
    };

    /// <summary>Script text to run (from -Command, -EncodedCommand or stdin), or null.</summary>
    public string? Script { get; private set; }

    /// <summary>Script file to run with <see cref="FileArguments"/> (-File or a bare first argument), or null.</summary>
    public string? File { get; private set; }

    public List<CommandParameter> FileArguments { get; } = new();

    public bool ShowVersion { get; private set; }

    public bool ShowHelp { get; private set; }

    public const string Usage =
        "Usage: psh [-NoProfile] [-NonInteractive] [-NoLogo] [-ExecutionPolicy <policy>]\n" +
        "           [-Command <script> | -Command - | -EncodedCommand <base64> | [-File] <path> [args...]]\n" +
        "           | -Version | --build-only\n";

    /// <exception cref="UsageException">The arguments are not a valid psh command line.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args, Func<string> readStdin)
    {
        var result = new CommandLine();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!IsSwitch(arg))
            {
                // As in pwsh, a bare first argument is the script file.
                result.SetFile(arg, args, i + 1);
                return result;
            }

            switch (Resolve(arg))
            {
                case "command":
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException("Missing value for parameter -Command.");
                    }

                    // pwsh joins everything after -Command into one script; "-" alone means stdin.
                    result.Script = args.Count == i + 2 && args[i + 1] == "-"
                        ? readStdin()
                        : string.Join(' ', args.Skip(i + 1));
                    return result;

                case "file":
                    if (i + 1 >= args.Count)
                    {
                        throw new UsageException("Missing value for parameter -File.");
                    }

                    if (args[i + 1] == "-")
                    {
                        result.Script = readStdin();
                        return result;
                    }

                    result.SetFile(args[i + 1], args, i + 2);
                    return result;

                case "encodedcommand" or "ec":
                    result.Script = DecodeCommand(ValueOf(args, ref i));
                    break;

                case "executionpolicy" or "ep":
                    // There is no execution policy on Unix; pwsh accepts and ignores it too.
                    ValueOf(args, ref i);
                    break;

                case "noprofile" or "noninteractive" or "nologo":
                    // psh never runs profiles, never prompts and prints no banner.
                    break;

                case "version":
                    result.ShowVersion = true;
                    return result;

                case "help" or "?":
                    result.ShowHelp = true;
                    return result;

                default:
                    throw new UsageException($"Unknown parameter '{arg}'.");
            }
        }

        return result;
    }

    private static bool IsSwitch(string arg) => arg.Length > 1 && arg[0] == '-';

    private static string? Resolve(string arg)
    {
        string key = arg.TrimStart('-').ToLowerInvariant();
        foreach ((string name, string shortest) in Switches)
        {
            if (key.Length >= shortest.Length && name.StartsWith(key, StringComparison.Ordinal) &&
                key.StartsWith(shortest, StringComparison.Ordinal))
            {
                return name;
            }
        }

        return null;
    }

    private static string ValueOf(IReadOnlyList<string> args, ref int i)
    {
        if (i + 1 >= args.Count)
        {
            throw new UsageException($"Missing value for parameter '{args[i]}'.");
        }

        return args[++i];
    }

    private static string DecodeCommand(string base64)
    {
        try
        {
            // pwsh's -EncodedCommand is base64 of UTF-16LE text.
            return Encoding.Unicode.GetString(Convert.FromBase64String(base64));
        }
        catch (FormatException)
        {
            throw new UsageException("The value of -EncodedCommand is not valid base64.");
        }
    }

    private void SetFile(string path, IReadOnlyList<string> args, int firstArgument)
    {
        File = Path.GetFullPath(path);
        for (int i = firstArgument; i < args.Count; i++)
        {
            FileArguments.Add(ToParameter(args[i]));
        }
    }

    /// <summary>
    /// Binds a -File argument as pwsh does: "-Name" becomes a parameter name that the engine
    /// pairs with the next argument (or treats as a switch), "-Name:value" a named value
    /// (true/false as booleans), anything else a positional argument.
    /// </summary>
    private static CommandParameter ToParameter(string arg)
    {
        if (!IsSwitch(arg))
        {
            return new CommandParameter(null, arg);
        }

        int colon = arg.IndexOf(':');
        if (colon < 0 || colon == arg.Length - 1)
        {
            return new CommandParameter(arg.TrimEnd(':'));
        }

        string name = arg[..colon];
        string value = arg[(colon + 1)..];
        return bool.TryParse(value, out bool flag)
            ? new CommandParameter(name, flag)
            : new CommandParameter(name, value);
    }
}

internal sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }
}
