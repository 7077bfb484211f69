using System.Management.Automation;

namespace NativeToken
{
    /// <summary>Whether the cmdlet's verbose output is shown, so that verbose text is built only then.</summary>
    internal static class Verbose
    {
        /// <summary>-Verbose as given, else $VerbosePreference (as the caller's scope has it) is not SilentlyContinue.</summary>
        internal static bool IsOn(PSCmdlet cmdlet)
        {
            if (cmdlet.MyInvocation.BoundParameters.TryGetValue("Verbose", out object? given))
            {
                return given is SwitchParameter flag ? flag.IsPresent : LanguagePrimitives.IsTrue(given);
            }
            object? preference = cmdlet.GetVariableValue("VerbosePreference");
            if (preference is ActionPreference action)
            {
                return action != ActionPreference.SilentlyContinue;
            }
            if (preference is PSObject wrapped && wrapped.BaseObject is ActionPreference inner)
            {
                return inner != ActionPreference.SilentlyContinue;
            }
            return preference != null && LanguagePrimitives.TryConvertTo(preference, out ActionPreference converted)
                ? converted != ActionPreference.SilentlyContinue
                : preference != null;
        }
    }
}
