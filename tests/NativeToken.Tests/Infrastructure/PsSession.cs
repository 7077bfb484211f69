using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace NativeToken.Tests.Infrastructure;

/// <summary>
/// A runspace from <see cref="InitialSessionState.CreateDefault2"/> (the only default that works
/// with the NuGet engine alone) with the module imported by path. Module state, such as the
/// script-scoped VenafiSession, lives as long as the runspace.
/// </summary>
public sealed class PsSession : IDisposable
{
    private readonly Runspace _runspace;

    public PsSession(bool importModule = true)
    {
        NativeEnvironment.EnsureInitialized();
        _runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        _runspace.Open();
        if (importModule)
        {
            var imported = Run("Import-Module -Name $ModulePath -ErrorAction Stop", ("ModulePath", RepoPaths.ModuleManifest));
            imported.ThrowIfFailed("Import-Module NativeToken");
        }
    }

    /// <summary>Runs a script; variables are set in the global scope first.</summary>
    public PsResult Run(string script, params (string Name, object? Value)[] variables)
    {
        foreach (var (name, value) in variables)
        {
            _runspace.SessionStateProxy.SetVariable(name, value);
        }
        using var ps = PowerShell.Create();
        ps.Runspace = _runspace;
        ps.AddScript(script);
        Collection<PSObject> output = new();
        ErrorRecord? terminating = null;
        var watch = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            terminating = e.ErrorRecord;
        }
        watch.Stop();
        return new PsResult(
            watch.Elapsed,
            output.ToList(),
            ps.Streams.Error.ToList(),
            terminating,
            ps.Streams.Verbose.Select(v => v.Message).ToList(),
            ps.Streams.Warning.Select(w => w.Message).ToList(),
            ps.Streams.Debug.Select(d => d.Message).ToList(),
            ps.Streams.Information.Select(i => i.MessageData?.ToString() ?? "").ToList());
    }

    public object? GetVariable(string name) => _runspace.SessionStateProxy.GetVariable(name);

    public void Dispose() => _runspace.Dispose();
}

/// <param name="Elapsed">How long the script ran.</param>
public sealed record PsResult(
    TimeSpan Elapsed,
    IReadOnlyList<PSObject> Output,
    IReadOnlyList<ErrorRecord> Errors,
    ErrorRecord? Terminating,
    IReadOnlyList<string> Verbose,
    IReadOnlyList<string> Warnings,
    IReadOnlyList<string> Debug,
    IReadOnlyList<string> Information)
{
    /// <summary>The one error of a failed call (terminating, else the only non-terminating one).</summary>
    public ErrorRecord Error =>
        Terminating ?? (Errors.Count == 1 ? Errors[0] : throw new InvalidOperationException($"Expected one error, got {Errors.Count} and no terminating error."));

    public bool Succeeded => Terminating is null && Errors.Count == 0;

    /// <summary>The one error of a call that must fail, checked: no output, this FullyQualifiedErrorId and category.</summary>
    public ErrorRecord AssertError(string fullyQualifiedErrorId, ErrorCategory category)
    {
        Xunit.Assert.Empty(Output);
        Xunit.Assert.Equal(fullyQualifiedErrorId, Error.FullyQualifiedErrorId);
        Xunit.Assert.Equal(category, Error.CategoryInfo.Category);
        return Error;
    }

    public PsResult ThrowIfFailed(string what)
    {
        if (!Succeeded)
        {
            var all = Errors.Concat(Terminating is null ? Array.Empty<ErrorRecord>() : new[] { Terminating });
            throw new InvalidOperationException($"{what} failed: " + string.Join(" | ", all.Select(e => $"{e.FullyQualifiedErrorId}: {e.Exception.Message}")));
        }
        return this;
    }

    /// <summary>The single output object.</summary>
    public PSObject Single
    {
        get
        {
            ThrowIfFailed("The script");
            return Output.Count == 1 ? Output[0] : throw new InvalidOperationException($"Expected one output object, got {Output.Count}.");
        }
    }

    /// <summary>
    /// Every piece of text a user could see or log: error messages (with inner exceptions),
    /// FullyQualifiedErrorIds, target objects, exception data, error details, verbose, warning,
    /// debug and information records.
    /// </summary>
    public IEnumerable<string> VisibleText()
    {
        foreach (var record in Errors.Concat(Terminating is null ? Array.Empty<ErrorRecord>() : new[] { Terminating }))
        {
            yield return record.FullyQualifiedErrorId ?? "";
            yield return record.ToString();
            yield return record.CategoryInfo.ToString();
            yield return record.TargetObject?.ToString() ?? "";
            yield return record.ErrorDetails?.Message ?? "";
            yield return record.ErrorDetails?.RecommendedAction ?? "";
            for (Exception? e = record.Exception; e is not null; e = e.InnerException)
            {
                yield return e.Message;
                yield return e.ToString();
                foreach (System.Collections.DictionaryEntry entry in e.Data)
                {
                    yield return $"{entry.Key}={entry.Value}";
                }
            }
        }
        foreach (var text in Verbose.Concat(Warnings).Concat(Debug).Concat(Information))
        {
            yield return text;
        }
    }
}
