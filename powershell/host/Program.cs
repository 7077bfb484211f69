using System;
using System.IO;
using System.Management.Automation.Runspaces;
using System.Text;

namespace NativeToken.Host;

internal static class Program
{
    // pwsh's exit code for a bad command line (EX_USAGE).
    private const int ExitCodeBadCommandLine = 64;

    private static int Main(string[] args)
    {
        // The engine reads this when the first runspace opens; set it before anything touches SMA.
        Environment.SetEnvironmentVariable("POWERSHELL_TELEMETRY_OPTOUT", "1");

        var utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        Console.OutputEncoding = utf8;
        Console.InputEncoding = utf8;

        CommandLine commandLine;
        try
        {
            commandLine = CommandLine.Parse(args, () => Console.In.ReadToEnd());
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.Write(CommandLine.Usage);
            return ExitCodeBadCommandLine;
        }

        if (commandLine.ShowHelp)
        {
            Console.Out.Write(CommandLine.Usage);
            return 0;
        }

        if (commandLine.ShowVersion)
        {
            Console.Out.WriteLine($"PowerShell {new PsHost(TextWriter.Null, TextWriter.Null).Version}");
            return 0;
        }

        if (commandLine.Script is null && commandLine.File is null)
        {
            Console.Error.WriteLine("psh is not interactive: give it -Command <script> or -File <path>.");
            Console.Error.Write(CommandLine.Usage);
            return ExitCodeBadCommandLine;
        }

        if (commandLine.File is not null && !File.Exists(commandLine.File))
        {
            // pwsh's wording and exit code for a missing -File.
            Console.Error.WriteLine(
                $"The argument '{commandLine.File}' is not recognized as the name of a script file. " +
                "Check the spelling of the name, or if a path was included, verify that the path is correct and try again.");
            return ExitCodeBadCommandLine;
        }

        var host = new PsHost(Console.Out, Console.Error, LineWidth());
        using Runspace runspace = RunspaceFactory.CreateRunspace(host, InitialSessionState.CreateDefault2());

        // One script, run synchronously: no need for the engine's pipeline thread.
        runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
        runspace.Open();

        var runner = new ScriptRunner(runspace, host);
        return commandLine.File is null
            ? runner.RunCommand(commandLine.Script!)
            : runner.RunFile(commandLine.File, commandLine.FileArguments);
    }

    /// <summary>$COLUMNS if set (so callers can pin it), else the terminal's width, else 120.</summary>
    private static int LineWidth()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out int columns) && columns > 0)
        {
            return columns;
        }

        if (!Console.IsOutputRedirected)
        {
            try
            {
                if (Console.WindowWidth > 0)
                {
                    return Console.WindowWidth;
                }
            }
            catch (IOException)
            {
                // No terminal after all; use the default.
            }
        }

        return 120;
    }
}
