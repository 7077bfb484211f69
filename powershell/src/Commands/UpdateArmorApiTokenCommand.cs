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
                Throw(Errors.Argument("MissingArmorSession", NoSessionMessage, null));
            }
            string apiVersion = ApiVersion ?? PSValues.ToText(PSValues.Get(armorSession, "ApiVersion"));
            if (apiVersion.Length != 0 && !string.Equals(apiVersion, "v1.0", StringComparison.OrdinalIgnoreCase))
            {
                string shown = ApiVersionShown.IsMatch(apiVersion) ? " '" + apiVersion + "'" : "";
                Throw(Errors.Argument(
                    "UnsupportedApiVersion", "The API version" + shown + " has no token endpoint: -ApiVersion accepts only 'v1.0'.", null));
            }
            string accessToken = Token ?? SessionToken(armorSession!);
            string baseUrl = NewArmorApiTokenCommand.BaseUrl(armorSession);
            string target = PSValues.DisplayUrl(baseUrl) + "/auth/token/reissue";
            // The target names the URL, never the token (the original showed the token here).
            if (!ShouldProcess(target, "Retrieve a new authentication token for the Armor session"))
            {
                return;
            }

            long started = 0;
            if (verbose)
            {
                WriteVerbose("POST " + target + " (session renewal)");
                started = Stopwatch.GetTimestamp();
            }
            uint timeoutMs = Settings.TimeoutMilliseconds();
            ConfigHandle? config = Settings.Config(this, TargetCache.ArmorBases.Get(baseUrl), verbose, out ErrorRecord? configError);
            if (config == null)
            {
                Throw(configError!);
            }
            string renewed;
            long minutes;
            try
            {
                using (var token = new TokenHandle())
                {
                    uint rc = NativeCall.ArmorReissue(config, baseUrl, accessToken, timeoutMs, _cancellation, token);
                    if (rc != NativeMethods.Ok)
                    {
                        Errors.ThrowIfCancelled(rc);
                        Throw(Errors.Native(this, rc, target, verbose));
                    }
                    renewed = NativeCall.Text(token, NativeCall.TokenText.AccessToken);
                    minutes = NativeCall.ExpiresIn(token);
                    if (verbose)
                    {
                        double elapsed = (Stopwatch.GetTimestamp() - started) * 1000.0 / Stopwatch.Frequency;
                        Errors.WriteTrace(this, NativeCall.Text(token, NativeCall.TokenText.Trace));
                        WriteVerbose(string.Format(
                            CultureInfo.CurrentCulture, "Access token received in {0:0.0} ms; the session lasts {1} min.", elapsed, minutes));
                    }
                }
            }
            finally
            {
                config!.DangerousRelease();
            }
            Authorize(armorSession!, renewed, minutes);
        }

        /// <inheritdoc/>
        protected override void StopProcessing() => _cancellation.Stop();

        /// <summary>$Global:ArmorSession.GetToken(), as the original's default; its errors without the token.</summary>
        private string SessionToken(object armorSession)
        {
            PSMethodInfo? getToken = PSObject.AsPSObject(armorSession).Methods["GetToken"];
            if (getToken == null)
            {
                Throw(Errors.Argument(
                    "MissingToken", "The global Armor session has no GetToken() method: pass the access token with -Token.", null));
            }
            object? value;
            try
            {
                value = getToken!.Invoke();
            }
            catch (MethodInvocationException exception)
            {
                Throw(Errors.Argument(
                    "NotAuthorized", "The Armor session has no access token to renew: " + Inner(exception).Message, null));
                return "";
            }
            string text = PSValues.ToText(value);
            if (text.Length == 0)
            {
                Throw(Errors.Argument("NotAuthorized", NoSessionMessage, null));
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
                Throw(Errors.Argument(
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
                Throw(error);
            }
        }

        private static Exception Inner(Exception exception) => exception.InnerException ?? exception;

        private static readonly Regex ApiVersionShown = new Regex("^[A-Za-z0-9._-]{1,20}$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        [DoesNotReturn]
        private void Throw(ErrorRecord error)
        {
            ThrowTerminatingError(error);
            throw new InvalidOperationException(error.ToString()); // not reached: ThrowTerminatingError throws
        }
    }
}
