using System;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Management.Automation;
using System.Text.RegularExpressions;
using NativeToken.Interop;

namespace NativeToken.Commands
{
    /// <summary>
    /// New-ArmorApiToken: an Armor API token for a temporary authorization code, posted to
    /// &lt;$Global:ArmorSession.Server&gt;:&lt;Port&gt;/auth/token (https://api.armor.com:443 without
    /// a global session). Parameters and output are those of ArmorPowerShell's New-ArmorApiToken
    /// (help: New-ArmorApiToken.md). Stateless: as in the original, the caller keeps the token.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "ArmorApiToken")]
    [OutputType(typeof(PSObject))]
    public sealed class NewArmorApiTokenCommand : PSCmdlet
    {
        private const string DefaultBase = "https://api.armor.com:443";

        private readonly Cancellation _cancellation = new Cancellation();
        private string? _apiVersion;
        private bool _apiVersionGiven;

        /// <summary>Specifies the temporary authorization code to redeem for a token.</summary>
        [Parameter(Mandatory = true, Position = 0)]
        [ValidateNotNullOrEmpty]
        public string? Code { get; set; }

        /// <summary>Specifies the type of permission.</summary>
        // Not ValidateSet: it would print {authorization_code} instead of <String> in the syntax.
        [Parameter(Position = 1)]
        [ArgumentCompleter(typeof(GrantTypeCompleter))]
        public string? GrantType { get; set; } = "Authorization_code";

        /// <summary>Specifies the API version for this request. Default: $Global:ArmorSession.ApiVersion.</summary>
        [Parameter(Position = 2)]
        [ArgumentCompleter(typeof(ApiVersionCompleter))]
        public string? ApiVersion
        {
            get => _apiVersion;
            set
            {
                _apiVersion = value;
                _apiVersionGiven = true;
            }
        }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            bool verbose = Verbose.IsOn(this);
            string grantType = GrantType ?? "";
            if (!string.Equals(grantType, "authorization_code", StringComparison.OrdinalIgnoreCase))
            {
                // Echo the value only when it cannot be a misplaced code.
                string shown = GrantTypeShown.IsMatch(grantType) ? " '" + grantType + "'" : "";
                Throw(Errors.Argument(
                    "InvalidGrantType", "The grant type" + shown + " is not supported: -GrantType accepts only 'authorization_code'.", null));
            }

            object? armorSession = SessionState.PSVariable.GetValue("global:ArmorSession");
            string apiVersion = _apiVersionGiven ? _apiVersion ?? "" : PSValues.ToText(PSValues.Get(armorSession, "ApiVersion"));
            if (apiVersion.Length != 0 && !string.Equals(apiVersion, "v1.0", StringComparison.OrdinalIgnoreCase))
            {
                string shown = ApiVersionShown.IsMatch(apiVersion) ? " '" + apiVersion + "'" : "";
                Throw(Errors.Argument(
                    "UnsupportedApiVersion", "The API version" + shown + " has no token endpoint: -ApiVersion accepts only 'v1.0'.", null));
            }

            string baseUrl = BaseUrl(armorSession);
            long started = 0;
            if (verbose)
            {
                WriteVerbose("POST " + PSValues.DisplayUrl(baseUrl) + "/auth/token (authorization code grant)");
                started = Stopwatch.GetTimestamp();
            }

            uint timeoutMs = Settings.TimeoutMilliseconds();
            ConfigHandle? config = Settings.Config(this, TargetCache.ArmorBases.Get(baseUrl), verbose, out ErrorRecord? configError);
            if (config == null)
            {
                Throw(configError!);
            }
            PSObject output;
            try
            {
                using (var token = new TokenHandle())
                {
                    uint rc = NativeCall.Armor(config, baseUrl, Code!, timeoutMs, _cancellation, token);
                    if (rc != NativeMethods.Ok)
                    {
                        Errors.ThrowIfCancelled(rc);
                        Throw(Errors.Native(this, rc, PSValues.DisplayUrl(baseUrl) + "/auth/token", verbose));
                    }

                    string access = NativeCall.Text(token, NativeCall.TokenText.AccessToken);
                    string id = NativeCall.Text(token, NativeCall.TokenText.IdToken);
                    string type = NativeCall.Text(token, NativeCall.TokenText.TokenType);
                    long minutes = NativeCall.ExpiresIn(token);

                    if (verbose)
                    {
                        double elapsed = (Stopwatch.GetTimestamp() - started) * 1000.0 / Stopwatch.Frequency;
                        Errors.WriteTrace(this, NativeCall.Text(token, NativeCall.TokenText.Trace));
                        NativeCall.Expires(token, out DateTime expires);
                        WriteVerbose(string.Format(
                            CultureInfo.CurrentCulture, "Access token received in {0:0.0} ms; expires {1:o} (in {2} min).", elapsed, expires, minutes));
                    }

                    output = new PSObject();
                    PSMemberInfoCollection<PSPropertyInfo> properties = output.Properties;
                    properties.Add(new PSNoteProperty("access_token", access), preValidated: true);
                    properties.Add(new PSNoteProperty("id_token", id), preValidated: true);
                    // As the original's ConvertFrom-Json gives it (Int64 in PowerShell 7).
                    properties.Add(new PSNoteProperty("expires_in", PSValues.JsonInteger(minutes)), preValidated: true);
                    properties.Add(new PSNoteProperty("token_type", type), preValidated: true);
                }
            }
            finally
            {
                config!.DangerousRelease();
            }
            WriteObject(output);
        }

        /// <inheritdoc/>
        protected override void StopProcessing() => _cancellation.Stop();

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

        private static readonly Regex GrantTypeShown = new Regex("^[A-Za-z_]{1,40}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
        private static readonly Regex ApiVersionShown = new Regex("^[A-Za-z0-9._-]{1,20}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        [DoesNotReturn]
        private void Throw(ErrorRecord error)
        {
            ThrowTerminatingError(error);
            throw new InvalidOperationException(error.ToString()); // not reached: ThrowTerminatingError throws
        }
    }
}
