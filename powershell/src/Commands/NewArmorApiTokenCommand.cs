using System;
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
                this.Throw(Errors.Argument(
                    "InvalidGrantType", "The grant type" + shown + " is not supported: -GrantType accepts only 'authorization_code'.", null));
            }

            object? armorSession = SessionState.PSVariable.GetValue("global:ArmorSession");
            ArmorApi.CheckApiVersion(this, _apiVersionGiven ? _apiVersion ?? "" : PSValues.ToText(PSValues.Get(armorSession, "ApiVersion")));

            string baseUrl = ArmorApi.BaseUrl(armorSession);
            string code = Code!;
            var request = new TokenRequest(this, baseUrl, ArmorApi.TokenPath, TargetCache.ArmorBases.Get(baseUrl), "authorization code grant", verbose);
            PSObject output = request.Run(
                (config, timeoutMs, token) => NativeCall.Armor(NativeCall.ArmorOperation.Redeem, config, baseUrl, code, timeoutMs, _cancellation, token),
                token => Output(request, token, verbose));
            WriteObject(output);
        }

        /// <summary>The original's output: access_token, id_token, expires_in (minutes), token_type.</summary>
        private PSObject Output(TokenRequest request, TokenHandle token, bool verbose)
        {
            string access = token.Text(TokenHandle.Field.AccessToken);
            string id = token.Text(TokenHandle.Field.IdToken);
            string type = token.Text(TokenHandle.Field.TokenType);
            long minutes = token.ExpiresIn();
            if (verbose)
            {
                token.Expires(out DateTime expires);
                WriteVerbose(string.Format(
                    CultureInfo.CurrentCulture, "Access token received in {0:0.0} ms; expires {1:o} (in {2} min).", request.ElapsedMilliseconds, expires, minutes));
            }

            var output = new PSObject();
            PSMemberInfoCollection<PSPropertyInfo> properties = output.Properties;
            properties.Add(new PSNoteProperty("access_token", access), preValidated: true);
            properties.Add(new PSNoteProperty("id_token", id), preValidated: true);
            // As the original's ConvertFrom-Json gives it (Int64 in PowerShell 7).
            properties.Add(new PSNoteProperty("expires_in", PSValues.JsonInteger(minutes)), preValidated: true);
            properties.Add(new PSNoteProperty("token_type", type), preValidated: true);
            return output;
        }

        /// <inheritdoc/>
        protected override void StopProcessing() => _cancellation.Stop();

        private static readonly Regex GrantTypeShown = new Regex("^[A-Za-z_]{1,40}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }
}
