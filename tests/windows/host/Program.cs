using System;
using System.Management.Automation.Runspaces;
using Microsoft.PowerShell;

namespace NativeToken.WindowsHost
{
    /// <summary>
    /// The PowerShell console host, started the way pwsh.exe starts it: the same command line,
    /// the default session state, no banner. Everything else (modules, execution policy from
    /// powershell.config.json beside it) is the SDK's own.
    /// </summary>
    internal static class Program
    {
        private static int Main(string[] args) =>
            ConsoleShell.Start(InitialSessionState.CreateDefault2(), bannerText: string.Empty, helpText: string.Empty, args);
    }
}
