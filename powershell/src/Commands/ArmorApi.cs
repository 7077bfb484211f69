using System;
using System.Management.Automation;
using System.Text.RegularExpressions;

namespace NativeToken.Commands
{
    /// <summary>
    /// What both Armor commands read from the global Armor session and check alike: the base URL
    /// of the API and the API version (only v1.0 has a token endpoint).
    /// </summary>
    internal static class ArmorApi
    {
        private const string DefaultBase = "https://api.armor.com:443";

        /// <summary>The token endpoint's path below the base URL.</summary>
        internal const string TokenPath = "/auth/token";

        /// <summary>The renewal endpoint's path below the base URL.</summary>
        internal const string ReissuePath = "/auth/token/reissue";

        private static readonly Regex ApiVersionShown = new Regex("^[A-Za-z0-9._-]{1,20}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>https://&lt;server&gt;:&lt;port&gt; from the global Armor session, else https://api.armor.com:443.</summary>
        internal static string BaseUrl(object? armorSession)
        {
            object? server = PSValues.Get(armorSession, "Server");
            if (!LanguagePrimitives.IsTrue(server))
            {
                return DefaultBase;
            }
            string host = PSValues.ToText(server);
            if (host.Contains("://"))
            {
                return host.TrimEnd('/');
            }
            object? port = PSValues.Get(armorSession, "Port");
            string portText = LanguagePrimitives.IsTrue(port) ? PSValues.ToText(port) : "443";
            if (host.IndexOf(':') >= 0 && !host.StartsWith("[", StringComparison.Ordinal))
            {
                host = "[" + host + "]"; // IPv6 literal
            }
            return "https://" + host + ":" + portText;
        }

        /// <summary>
        /// -ApiVersion (or the session's): empty or v1.0 (any casing); anything else is an
        /// UnsupportedApiVersion error, naming the value only when it looks like a version.
        /// </summary>
        internal static void CheckApiVersion(Cmdlet cmdlet, string apiVersion)
        {
            if (apiVersion.Length != 0 && !string.Equals(apiVersion, "v1.0", StringComparison.OrdinalIgnoreCase))
            {
                string shown = ApiVersionShown.IsMatch(apiVersion) ? " '" + apiVersion + "'" : "";
                cmdlet.Throw(Errors.Argument(
                    "UnsupportedApiVersion", "The API version" + shown + " has no token endpoint: -ApiVersion accepts only 'v1.0'.", null));
            }
        }
    }
}
