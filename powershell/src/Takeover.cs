using System;
using System.Collections;
using System.Collections.Generic;
using System.IO;
using System.Management.Automation;

namespace NativeToken
{
    /// <summary>
    /// The decisions NativeToken.psm1 makes at import about the takeover of VenafiPS's and
    /// ArmorPowerShell's token commands (README, "Switching from VenafiPS or ArmorPowerShell").
    /// Here rather than in the script so that an import with nothing to take over costs a few
    /// method calls, not cmdlet invocations: imports are on every runspace's start.
    /// Public for NativeToken.psm1 only.
    /// </summary>
    public static class Takeover
    {
        /// <summary>Off: no aliases, the cmdlets never touch VenafiPS's session.</summary>
        public const string Off = "Off";

        /// <summary>On: every alias, whatever is loaded or installed.</summary>
        public const string On = "On";

        /// <summary>Auto (default): the aliases of an original that is loaded or installed.</summary>
        public const string Auto = "Auto";

        private const string OptionName = "Takeover";
        private const string EnvironmentName = "NATIVETOKEN_TAKEOVER";

        // Per original (its module name): a public function it always exports, to tell that it is
        // loaded without running Get-Module.
        private static readonly KeyValuePair<string, string>[] Originals =
        {
            new KeyValuePair<string, string>("VenafiPS", "New-VenafiSession"),
            new KeyValuePair<string, string>("Armor", "Connect-Armor"),
        };

        /// <summary>
        /// The setting: -ArgumentList @{ Takeover = $true / $false } if given, else
        /// $env:NATIVETOKEN_TAKEOVER ('0', 'false', 'off', 'no': Off; '1', 'true', 'on', 'yes':
        /// On), else Auto. An unknown option is an error naming the one there is.
        /// </summary>
        public static string Setting(Hashtable? options)
        {
            if (options != null)
            {
                foreach (object key in options.Keys)
                {
                    if (!string.Equals(key as string, OptionName, StringComparison.OrdinalIgnoreCase))
                    {
                        throw new ArgumentException(
                            "NativeToken: unknown import option '" + key + "'. The only option is Takeover, e.g. Import-Module NativeToken -ArgumentList @{ Takeover = $false }.");
                    }
                }
                if (options.ContainsKey(OptionName))
                {
                    return LanguagePrimitives.IsTrue(options[OptionName]) ? On : Off;
                }
            }
            string? fromEnvironment = Environment.GetEnvironmentVariable(EnvironmentName);
            switch (fromEnvironment?.Trim().ToLowerInvariant())
            {
                case "0":
                case "false":
                case "off":
                case "no":
                    return Off;
                case "1":
                case "true":
                case "on":
                case "yes":
                    return On;
                default:
                    return Auto;
            }
        }

        /// <summary>
        /// The originals whose aliases to set: none when Off, all when On; when Auto, each one
        /// loaded (its signature function is in the session) or installed (a folder of its name in
        /// $env:PSModulePath, so that a later Import-Module or auto-loading finds it). An alias with
        /// a cmdlet's own name makes Get-Help list two entries: only worth it where there is
        /// something to take over.
        /// </summary>
        public static string[] OriginalsToTakeOver(SessionState moduleState, string setting)
        {
            var result = new List<string>();
            if (string.Equals(setting, Off, StringComparison.Ordinal))
            {
                return result.ToArray();
            }
            bool all = string.Equals(setting, On, StringComparison.Ordinal);
            string[] modulePaths = (Environment.GetEnvironmentVariable("PSModulePath") ?? "").Split(Path.PathSeparator);
            foreach (KeyValuePair<string, string> original in Originals)
            {
                if (all || IsLoaded(moduleState, original.Value) || IsInstalled(modulePaths, original.Key))
                {
                    result.Add(original.Key);
                }
            }
            return result.ToArray();
        }

        /// <summary>
        /// Whether the global $VenafiSession is VenafiPS's exported variable: then NativeToken's
        /// must not take the global name from it (the name goes to the module imported last).
        /// </summary>
        public static bool IsVenafiPSSessionGlobal(SessionState moduleState)
        {
            PSModuleInfo? owner = moduleState.PSVariable.Get("global:" + ModuleScope.VariableName)?.Module;
            return owner != null && string.Equals(owner.Name, ModuleScope.VenafiPSModule, StringComparison.OrdinalIgnoreCase);
        }

        private static bool IsLoaded(SessionState moduleState, string function)
        {
            try
            {
                return moduleState.InvokeProvider.Item.Exists("function:" + function);
            }
            catch (RuntimeException)
            {
                return false;
            }
        }

        private static bool IsInstalled(string[] modulePaths, string module)
        {
            foreach (string folder in modulePaths)
            {
                if (folder.Length == 0)
                {
                    continue;
                }
                try
                {
                    if (Directory.Exists(Path.Combine(folder, module)))
                    {
                        return true;
                    }
                }
                catch (ArgumentException)
                {
                    // A PSModulePath entry with characters a path cannot have: not where it is.
                }
            }
            return false;
        }
    }
}
