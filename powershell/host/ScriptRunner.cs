using System;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Language;
using System.Management.Automation.Runspaces;
using System.Reflection;

namespace NativeToken.Host;

/// <summary>
/// Runs a -Command script or a -File script the way pwsh's console host does: output and
/// errors through Out-Default, a terminating error reported through Out-Default too, and the
/// same exit code rules.
/// </summary>
internal sealed class ScriptRunner
{
    private readonly Runspace _runspace;
    private readonly PsHost _host;

    public ScriptRunner(Runspace runspace, PsHost host)
    {
        _runspace = runspace;
        _host = host;
    }

    /// <summary>
    /// Runs script text in the global scope. Exit code: the number given to a top-level
    /// <c>exit</c>; otherwise 0 if the last statement succeeded ($?) and nothing terminated
    /// the script, else 1.
    /// </summary>
    public int RunCommand(string script)
    {
        // Parse first: the engine reports text that merely ends early (such as "1 +") as an
        // IncompleteParseException without position, which the error view renders as nothing.
        Parser.ParseInput(script, out _, out ParseError[] parseErrors);
        Exception? failure = parseErrors.Length > 0
            ? new ParseException(parseErrors)
            : Execute(_runspace.CreatePipeline(script, addToHistory: true));
        if (failure is not null)
        {
            Report(failure);
        }

        if (_host.ShouldExit)
        {
            return _host.ExitCode;
        }

        return failure is null && LastStatementSucceeded() ? 0 : 1;
    }

    /// <summary>
    /// Runs a script file with pwsh -File's arguments. Exit code: the script's <c>exit N</c>,
    /// 1 if a terminating error ended it, otherwise as for <see cref="RunCommand"/>.
    /// </summary>
    public int RunFile(string path, IEnumerable<CommandParameter> arguments)
    {
        // Like pwsh on Unix, a file without the .ps1 extension (a shebang script) runs as script text.
        Command command = path.EndsWith(".ps1", StringComparison.OrdinalIgnoreCase)
            ? new Command(path, isScript: false, useLocalScope: false)
            : new Command(File.ReadAllText(path), isScript: true, useLocalScope: false);
        foreach (CommandParameter argument in arguments)
        {
            command.Parameters.Add(argument);
        }

        // Not added to history, as in pwsh: the engine then restores $? after the run, so a
        // script that ends normally exits 0 even if its last statement wrote an error.
        Pipeline pipeline = _runspace.CreatePipeline();
        pipeline.Commands.Add(command);
        PropagateExitFromScriptFiles();
        Exception? failure = Execute(pipeline);
        if (failure is not null)
        {
            Report(failure);
            return _host.ShouldExit ? _host.ExitCode : 1;
        }

        if (_host.ShouldExit)
        {
            return _host.ExitCode;
        }

        return LastStatementSucceeded() ? 0 : 1;
    }

    /// <summary>Runs a pipeline with Out-Default appended; returns what terminated it, if anything.</summary>
    private static Exception? Execute(Pipeline pipeline)
    {
        using (pipeline)
        {
            // Out-Default also takes the error records, so the engine's error view (ConciseView)
            // renders them in order with the output, as in pwsh. Merging at the first command
            // (not into Out-Default) leaves $? as the script's last statement set it.
            pipeline.Commands[0].MergeMyResults(PipelineResultTypes.Error, PipelineResultTypes.Output);
            pipeline.Commands.Add("Out-Default");
            try
            {
                pipeline.Invoke();
                return null;
            }
            catch (Exception e)
            {
                return e;
            }
        }
    }

    /// <summary>
    /// Shows a terminating error as pwsh does: its error record through Out-Default, so the
    /// engine's error view (ConciseView) renders it, on stderr.
    /// </summary>
    private void Report(Exception failure)
    {
        object error = failure is IContainsErrorRecord withRecord
            ? withRecord.ErrorRecord
            : new ErrorRecord(failure, "NativeToken.Host.ReportException", ErrorCategory.NotSpecified, null);

        var ui = (PsHostUserInterface)_host.UI;
        ui.OutputToError = true;
        try
        {
            using Pipeline pipeline = _runspace.CreatePipeline();
            pipeline.Commands.Add("Out-Default");
            pipeline.Invoke(new[] { error });
        }
        catch (Exception)
        {
            // The formatter itself failed: say at least what went wrong and where.
            ui.WriteErrorLine(failure.Message);
            if (error is ErrorRecord { InvocationInfo: { } info })
            {
                ui.WriteErrorLine(info.PositionMessage);
            }
        }
        finally
        {
            ui.OutputToError = false;
        }
    }

    private bool LastStatementSucceeded()
    {
        // A pipeline not added to history leaves $? as the previous one set it.
        using Pipeline pipeline = _runspace.CreatePipeline("$global:?");
        try
        {
            var result = pipeline.Invoke();
            return result.Count == 1 && result[0]?.BaseObject is true;
        }
        catch (RuntimeException)
        {
            return false;
        }
    }

    /// <summary>
    /// pwsh -File makes <c>exit N</c> inside the script file end the process with N (by default
    /// <c>exit</c> in a script file only leaves that script). The switch for it is internal to the
    /// engine; pwsh's console host sets it the same way before running the file.
    /// </summary>
    private void PropagateExitFromScriptFiles()
    {
        const BindingFlags Internal = BindingFlags.Instance | BindingFlags.NonPublic;
        object? context = typeof(Runspace).GetProperty("ExecutionContext", Internal)?.GetValue(_runspace);
        PropertyInfo? rethrow = context?.GetType().GetProperty("ScriptCommandProcessorShouldRethrowExit", Internal);
        if (rethrow is null)
        {
            // Only a different engine version gets here; say so rather than return wrong exit codes quietly.
            _host.UI.WriteErrorLine("psh: this engine version cannot pass 'exit N' from a -File script to the exit code.");
            return;
        }

        rethrow.SetValue(context, true);
    }
}
