using System;
using System.Collections.Generic;
using System.Collections.ObjectModel;
using System.Globalization;
using System.IO;
using System.Management.Automation;
using System.Management.Automation.Host;
using System.Reflection;
using System.Security;

namespace NativeToken.Host;

/// <summary>
/// A non-interactive PowerShell host that writes to two text writers. Giving the engine a real
/// host (rather than none) is what lets Out-Default format objects through PowerShell's own
/// table/list views and lets warnings, verbose and debug records reach the user.
/// </summary>
public sealed class PsHost : PSHost
{
    private readonly PsHostUserInterface _ui;

    // Captured at startup: the engine gives each pipeline thread the host's culture, so a
    // script that changes its own thread's culture does not change it for later pipelines.
    private readonly CultureInfo _culture = CultureInfo.CurrentCulture;
    private readonly CultureInfo _uiCulture = CultureInfo.CurrentUICulture;

    /// <param name="output">Receives formatted output and the information stream.</param>
    /// <param name="error">Receives error, warning, verbose and debug lines.</param>
    /// <param name="width">Line width the formatter lays tables and lists out for.</param>
    public PsHost(TextWriter output, TextWriter error, int width = 120)
    {
        _ui = new PsHostUserInterface(output, error, new PsHostRawUserInterface(width));
    }

    /// <summary>True once the script ran <c>exit</c> at the top level (or a -File script ran <c>exit</c>).</summary>
    public bool ShouldExit { get; private set; }

    /// <summary>The number given to that <c>exit</c>.</summary>
    public int ExitCode { get; private set; }

    public override string Name => "NativeTokenHost";

    // The engine's own version, so $Host.Version agrees with $PSVersionTable.PSVersion.
    public override Version Version { get; } = VersionOf(typeof(PSObject));

    public override Guid InstanceId { get; } = Guid.NewGuid();

    public override PSHostUserInterface UI => _ui;

    public override CultureInfo CurrentCulture => _culture;

    public override CultureInfo CurrentUICulture => _uiCulture;

    public override void SetShouldExit(int exitCode)
    {
        ShouldExit = true;
        ExitCode = exitCode;
    }

    // Nested prompts need an interactive console; this host only runs scripts.
    public override void EnterNestedPrompt() =>
        throw new PSNotSupportedException("This host does not support nested prompts.");

    public override void ExitNestedPrompt() =>
        throw new PSNotSupportedException("This host does not support nested prompts.");

    public override void NotifyBeginApplication()
    {
    }

    public override void NotifyEndApplication()
    {
    }

    // The assembly version stops at major.minor; the informational version ("7.6.9 SHA: ...")
    // carries the release number that $PSVersionTable shows.
    private static Version VersionOf(Type type)
    {
        string? informational = type.Assembly
            .GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        string release = informational?.Split(' ', '-', '+')[0] ?? string.Empty;
        return Version.TryParse(release, out Version? version)
            ? version
            : type.Assembly.GetName().Version ?? new Version(0, 0);
    }
}

/// <summary>
/// Writes the host's streams as pwsh shows them when redirected: plain text, error records
/// already rendered by the engine's error view, and the other streams with their
/// "WARNING: " / "VERBOSE: " / "DEBUG: " prefixes.
/// </summary>
public sealed class PsHostUserInterface : PSHostUserInterface
{
    // pwsh's wording, so scripts (and people) see the message they would see from pwsh -NonInteractive.
    private const string NonInteractiveMessage =
        "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.";

    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly PsHostRawUserInterface _raw;

    public PsHostUserInterface(TextWriter output, TextWriter error, PsHostRawUserInterface rawUI)
    {
        _out = output;
        _err = error;
        _raw = rawUI;
    }

    public override PSHostRawUserInterface RawUI => _raw;

    /// <summary>
    /// While set, ordinary output goes to the error writer. A host shows a terminating error by
    /// piping its record to Out-Default, which formats it with the error view but writes it as
    /// ordinary output; this sends that text to stderr, where pwsh puts it.
    /// </summary>
    public bool OutputToError { get; set; }

    private TextWriter Output => OutputToError ? _err : _out;

    // No VT support, so the text below goes through GetOutputString, which strips the
    // $PSStyle sequences the formatter and error view insert (as pwsh does when redirected):
    // output is the same plain text on a terminal or in a file, which is what callers compare.
    public override bool SupportsVirtualTerminal => false;

    public override void Write(string value) => Output.Write(Plain(value));

    public override void Write(ConsoleColor foregroundColor, ConsoleColor backgroundColor, string value) =>
        Output.Write(Plain(value));

    public override void WriteLine(string value) => Output.WriteLine(Plain(value));

    public override void WriteErrorLine(string value) => _err.WriteLine(Plain(value));

    public override void WriteWarningLine(string message) => _err.WriteLine("WARNING: " + Plain(message));

    public override void WriteVerboseLine(string message) => _err.WriteLine("VERBOSE: " + Plain(message));

    public override void WriteDebugLine(string message) => _err.WriteLine("DEBUG: " + Plain(message));

    // Progress bars only make sense on an interactive console; a script's output stays clean.
    public override void WriteProgress(long sourceId, ProgressRecord record)
    {
    }

    public override string ReadLine() => throw NonInteractive();

    public override SecureString ReadLineAsSecureString() => throw NonInteractive();

    public override Dictionary<string, PSObject> Prompt(
        string caption, string message, Collection<FieldDescription> descriptions) => throw NonInteractive();

    public override PSCredential PromptForCredential(
        string caption, string message, string userName, string targetName) => throw NonInteractive();

    public override PSCredential PromptForCredential(
        string caption,
        string message,
        string userName,
        string targetName,
        PSCredentialTypes allowedCredentialTypes,
        PSCredentialUIOptions options) => throw NonInteractive();

    public override int PromptForChoice(
        string caption, string message, Collection<ChoiceDescription> choices, int defaultChoice) =>
        throw NonInteractive();

    private string Plain(string? value) => GetOutputString(value ?? string.Empty, SupportsVirtualTerminal);

    private static PSInvalidOperationException NonInteractive() => new(NonInteractiveMessage);
}

/// <summary>
/// A fixed-size virtual console. Only BufferSize matters in practice: the formatter sizes
/// tables and wraps lists to its width.
/// </summary>
public sealed class PsHostRawUserInterface : PSHostRawUserInterface
{
    private Size _bufferSize;
    private Size _windowSize;

    public PsHostRawUserInterface(int width)
    {
        // A tall buffer: nothing here pages or scrolls.
        _bufferSize = new Size(width, 9999);
        _windowSize = new Size(width, 50);
    }

    public override ConsoleColor ForegroundColor { get; set; } = ConsoleColor.Gray;

    public override ConsoleColor BackgroundColor { get; set; } = ConsoleColor.Black;

    public override Coordinates CursorPosition { get; set; }

    public override Coordinates WindowPosition { get; set; }

    public override int CursorSize { get; set; } = 25;

    public override Size BufferSize
    {
        get => _bufferSize;
        set => _bufferSize = value;
    }

    public override Size WindowSize
    {
        get => _windowSize;
        set => _windowSize = value;
    }

    public override Size MaxWindowSize => _windowSize;

    public override Size MaxPhysicalWindowSize => _windowSize;

    public override bool KeyAvailable => false;

    public override string WindowTitle { get; set; } = string.Empty;

    public override KeyInfo ReadKey(ReadKeyOptions options) =>
        throw new PSInvalidOperationException("This host cannot read keys: it is not interactive.");

    public override void FlushInputBuffer()
    {
    }

    // There is no screen to read back or draw on; writes go straight to the output stream.
    public override BufferCell[,] GetBufferContents(Rectangle rectangle) =>
        throw new PSNotSupportedException("This host has no screen buffer.");

    public override void SetBufferContents(Coordinates origin, BufferCell[,] contents)
    {
    }

    public override void SetBufferContents(Rectangle rectangle, BufferCell fill)
    {
    }

    public override void ScrollBufferContents(Rectangle source, Coordinates destination, Rectangle clip, BufferCell fill)
    {
    }
}
