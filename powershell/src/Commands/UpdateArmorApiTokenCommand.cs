using System;
using System.Collections.Generic;
using System.Globalization;
using System.Management.Automation;
using NativeToken.Interop;

namespace NativeToken.Commands
{
    /// <summary>
    /// Update-ArmorApiToken: renews the global Armor session, as ArmorPowerShell's private command
    /// of that name does (called by its Assert-ArmorSession / Test-ArmorSession once two thirds of
    /// the session have passed): POST &lt;$Global:ArmorSession.Server&gt;:&lt;Port&gt;/auth/token/reissue
    /// with the session's access token, then $Global:ArmorSession.Authorize(access_token,
    /// expires_in). Writes nothing to the pipeline (help: Update-ArmorApiToken.md).
    /// </summary>
    [Cmdlet(VerbsData.Update, "ArmorApiToken", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low)]
    [OutputType(typeof(void))]
    public sealed class UpdateArmorApiTokenCommand : PSCmdlet
    {
        private const string NoSessionMessage = "There is no Armor session ($Global:ArmorSession): log in with Connect-Armor first.";

        private readonly Cancellation _cancellation = new Cancellation();

        /// <summary>The access token to renew. Default: $Global:ArmorSession.GetToken().</summary>
        [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
        [ValidateNotNullOrEmpty]
        public string? Token { get; set; }

        /// <summary>Specifies the API version for this request. Default: $Global:ArmorSession.ApiVersion.</summary>
        [Parameter(Position = 1, ValueFromPipelineByPropertyName = true)]
        [ArgumentCompleter(typeof(ApiVersionCompleter))]
        public string? ApiVersion { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            bool verbose = Verbose.IsOn(this);
            object? armorSession = SessionState.PSVariable.GetValue("global:ArmorSession");
            if (armorSession == null)
            {
                this.Throw(Errors.Argument("MissingArmorSession", NoSessionMessage, null));
            }
            ArmorApi.CheckApiVersion(this, ApiVersion ?? PSValues.ToText(PSValues.Get(armorSession, "ApiVersion")));
            string accessToken = Token ?? SessionToken(armorSession!);
            string baseUrl = ArmorApi.BaseUrl(armorSession);
            // The target names the URL, never the token (the original showed the token here).
            if (!ShouldProcess(TokenRequest.Show(baseUrl) + ArmorApi.ReissuePath, "Retrieve a new authentication token for the Armor session"))
            {
                return;
            }

            var request = new TokenRequest(this, baseUrl, ArmorApi.ReissuePath, TargetCache.ArmorBases.Get(baseUrl), "session renewal", verbose);
            KeyValuePair<string, long> renewed = request.Run(
                (config, timeoutMs, token) => NativeCall.Armor(NativeCall.ArmorOperation.Reissue, config, baseUrl, accessToken, timeoutMs, _cancellation, token),
                token =>
                {
                    long minutes = token.ExpiresIn();
                    if (verbose)
                    {
                        WriteVerbose(string.Format(
                            CultureInfo.CurrentCulture, "Access token received in {0:0.0} ms; the session lasts {1} min.", request.ElapsedMilliseconds, minutes));
                    }
                    return new KeyValuePair<string, long>(token.Text(TokenHandle.Field.AccessToken), minutes);
                });
            Authorize(armorSession!, renewed.Key, renewed.Value);
        }

        /// <inheritdoc/>
        protected override void StopProcessing() => _cancellation.Stop();

        /// <summary>$Global:ArmorSession.GetToken(), as the original's default; its errors without the token.</summary>
        private string SessionToken(object armorSession)
        {
            PSMethodInfo? getToken = PSObject.AsPSObject(armorSession).Methods["GetToken"];
            if (getToken == null)
            {
                this.Throw(Errors.Argument(
                    "MissingToken", "The global Armor session has no GetToken() method: pass the access token with -Token.", null));
            }
            object? value;
            try
            {
                value = getToken!.Invoke();
            }
            catch (MethodInvocationException exception)
            {
                this.Throw(Errors.Argument(
                    "NotAuthorized", "The Armor session has no access token to renew: " + Inner(exception).Message, null));
                return "";
            }
            string text = PSValues.ToText(value);
            if (text.Length == 0)
            {
                this.Throw(Errors.Argument("NotAuthorized", NoSessionMessage, null));
            }
            return text;
        }

        /// <summary>
        /// $Global:ArmorSession.Authorize(access_token, expires_in), as the original does; a
        /// refusal (e.g. a session length outside 1-15 minutes) is an error whose message never
        /// holds the token.
        /// </summary>
        private void Authorize(object armorSession, string accessToken, long minutes)
        {
            PSMethodInfo? authorize = PSObject.AsPSObject(armorSession).Methods["Authorize"];
            if (authorize == null)
            {
                this.Throw(Errors.Argument(
                    "MissingAuthorize", "The global Armor session has no Authorize(token, minutes) method to store the renewed token in.", null));
            }
            try
            {
                authorize!.Invoke(accessToken, PSValues.JsonInteger(minutes));
            }
            catch (MethodInvocationException exception)
            {
                string message = Inner(exception).Message.Replace(accessToken, "(the renewed access token)");
                var error = new ErrorRecord(
                    new InvalidOperationException("The Armor session refused the renewed token: " + message),
                    "NativeToken.ArmorSessionRefused",
                    ErrorCategory.InvalidResult,
                    null);
                this.Throw(error);
            }
        }

        private static Exception Inner(Exception exception) => exception.InnerException ?? exception;

    }
}
