using System;
using System.Globalization;
using System.Management.Automation;
using System.Security;
using System.Text.RegularExpressions;
using NativeToken.Interop;

namespace NativeToken.Commands
{
    /// <summary>
    /// New-VcToken: a TLS Protect Cloud access token from a token endpoint and a service-account
    /// JWT (-Endpoint -Jwt, which also becomes the module's $VenafiSession), from a session object
    /// (-VenafiSession, stateless), or by refreshing $VenafiSession in place (no parameters).
    /// Parameters, output and errors are those of VenafiPS's New-VcToken (help: New-VcToken.md).
    /// With VenafiPS loaded (and the takeover on), $VenafiSession is VenafiPS's own: -Endpoint
    /// -Jwt only returns the token (VenafiPS's New-VenafiSession stores it), and a bare call
    /// refreshes VenafiPS's session as VenafiPS's New-VcToken does.
    /// </summary>
    [Cmdlet(VerbsCommon.New, "VcToken", DefaultParameterSetName = ScriptSessionSet)]
    [OutputType(typeof(PSObject))]
    public sealed class NewVcTokenCommand : PSCmdlet
    {
        /// <summary>No parameters: refresh the module's $VenafiSession in place.</summary>
        public const string ScriptSessionSet = "ScriptSession";

        /// <summary>-Endpoint -Jwt: a new session.</summary>
        public const string EndpointSet = "Endpoint";

        /// <summary>-VenafiSession [-Jwt]: a new token for a given session.</summary>
        public const string SessionSet = "Session";

        private const string JwtMessage = "-Jwt must be provided directly or via a VenafiSession.";
        private const string NoEndpointMessage = "The VenafiSession has no token endpoint (Token.Endpoint); create it with New-VcToken -Endpoint -Jwt.";

        private readonly Cancellation _cancellation = new Cancellation();
        private string? _jwt;

        /// <summary>Token Endpoint URL as shown on the service account details page in TLSPC.</summary>
        [Parameter(Mandatory = true, ParameterSetName = EndpointSet)]
        [ValidateNotNullOrEmpty]
        public string? Endpoint { get; set; }

        /// <summary>JSON web token with access to the configured service account.</summary>
        [Parameter(Mandatory = true, ParameterSetName = EndpointSet)]
        [Parameter(ParameterSetName = SessionSet)]
        [ValidateNotNullOrEmpty]
        public string? Jwt
        {
            get => _jwt;
            set => _jwt = value;
        }

        /// <summary>VenafiSession object created from New-VenafiSession method.</summary>
        [Parameter(Mandatory = true, ParameterSetName = SessionSet)]
        [ValidateNotNull]
        public PSObject? VenafiSession { get; set; }

        /// <inheritdoc/>
        protected override void ProcessRecord()
        {
            bool verbose = Verbose.IsOn(this);
            string set = ParameterSetName;
            if (string.Equals(set, EndpointSet, StringComparison.Ordinal))
            {
                NewSession(verbose);
            }
            else if (string.Equals(set, SessionSet, StringComparison.Ordinal))
            {
                FromGivenSession(verbose);
            }
            else
            {
                RefreshScriptSession(verbose);
            }
        }

        /// <inheritdoc/>
        protected override void StopProcessing() => _cancellation.Stop();

        /// <summary>-Endpoint -Jwt: begins the module scope's native session and stores the new $VenafiSession.</summary>
        private void NewSession(bool verbose)
        {
            string endpoint = Endpoint!;
            string jwt = _jwt!;
            ScopeState scope = ModuleScope.For(this, out PSVariableIntrinsics variables, out SessionOwner owner);

            // The library checks the endpoint; a refusal is worded as VenafiPS's -Endpoint check words it.
            TokenRequest request = StartRequest(endpoint, verbose);
            var result = Call(request, NativeCall.VcOperation.Begin, scope.EnsureSession(), endpoint, jwt, null, verbose, endpointGiven: true);

            var jwtCredential = new PSCredential("JWT", NativeText.ToSecureString(jwt));
            PSObject token = NewToken(endpoint, result.Access, jwtCredential, result.Expires);
            // The native session follows this token: when the caller stores it in a session (as
            // VenafiPS's New-VenafiSession does), a bare New-VcToken refreshes it natively.
            scope.Begun(token, jwtCredential, endpoint);

            if (owner == SessionOwner.NativeToken)
            {
                ModuleScope.SetSession(variables, NewVenafiSession(endpoint, token));
                if (verbose)
                {
                    WriteVerbose("Stored the new session in the script scoped variable VenafiSession");
                }
            }
            WriteObject(token);
        }

        /// <summary>
        /// The session object, with the properties, order and types VenafiPS 6.11's
        /// New-VenafiSession -VcEndpoint -Jwt gives, so that VenafiPS's commands accept it as
        /// -VenafiSession. Server keeps a port the endpoint names (VenafiPS drops it; TLSPC has
        /// none), so that a session with a local emulator reaches it. User is $null: filling it
        /// takes a GET /v1/useraccounts, which a token command does not make (VenafiPS leaves it
        /// out when that call fails, as it does for most service accounts).
        /// </summary>
        private static PSObject NewVenafiSession(string endpoint, PSObject token)
        {
            Uri? uri = TargetCache.Endpoints.Get(endpoint);
            var session = new PSObject();
            PSMemberInfoCollection<PSPropertyInfo> properties = session.Properties;
            properties.Add(new PSNoteProperty("Platform", "VC"), preValidated: true);
            properties.Add(new PSNoteProperty("Server", uri != null ? uri.GetLeftPart(UriPartial.Authority) : endpoint), preValidated: true);
            properties.Add(new PSNoteProperty("TimeoutSec", 0), preValidated: true);
            properties.Add(new PSNoteProperty("SkipCertificateCheck", false), preValidated: true);
            properties.Add(new PSNoteProperty("Token", token), preValidated: true);
            properties.Add(new PSNoteProperty("User", null), preValidated: true);
            return session;
        }

        /// <summary>-VenafiSession [-Jwt]: a new token object for the given session; no state changes.</summary>
        private void FromGivenSession(bool verbose)
        {
            PSObject given = VenafiSession!;
            object? token = PSValues.Get(given, "Token");
            if (token == null)
            {
                this.Throw(Errors.Argument(
                    "MissingToken",
                    "The VenafiSession has no Token (with Token.Endpoint and Token.JWT): it is a " + given.BaseObject.GetType().FullName +
                    "; create it with New-VcToken -Endpoint -Jwt.",
                    null));
            }
            string endpoint = PSValues.ToText(PSValues.Get(token, "Endpoint"));
            string? jwtText = _jwt;
            object? jwtObject = jwtText == null ? PSValues.Get(token, "JWT") : null;
            if (endpoint.Length == 0)
            {
                this.Throw(Errors.Argument("MissingEndpoint", NoEndpointMessage, null));
            }
            if (string.IsNullOrEmpty(jwtText) && !LanguagePrimitives.IsTrue(jwtObject))
            {
                this.Throw(Errors.Argument(
                    "MissingJwt", JwtMessage + " The VenafiSession has no JWT (Token.JWT).", endpoint));
            }

            TokenRequest request = StartRequest(endpoint, verbose);
            SecureString? jwtSecure = null;
            if (jwtText == null)
            {
                JwtOf(jwtObject!, out jwtText, out jwtSecure);
            }
            var result = Call(request, NativeCall.VcOperation.Fetch, null, endpoint, jwtText, jwtSecure, verbose);

            // The session's own JWT credential when it is one named JWT, else a new one.
            object jwtCredential = jwtObject != null && PSValues.Unwrap(jwtObject) is PSCredential credential &&
                                   string.Equals(credential.UserName, "JWT", StringComparison.Ordinal)
                ? jwtObject
                : new PSCredential("JWT", jwtSecure != null ? jwtSecure.Copy() : NativeText.ToSecureString(jwtText!));
            WriteObject(NewToken(endpoint, result.Access, jwtCredential, result.Expires));
        }

        /// <summary>
        /// No parameters: a new access token for $VenafiSession, stored in it in place. While
        /// $VenafiSession holds what the native session was begun with, the native session
        /// refreshes (endpoint and JWT read natively); otherwise what $VenafiSession holds now is
        /// begun. NativeToken's own session gets the new access token and expiry in its token
        /// object; VenafiPS's gets a new token object, as VenafiPS's New-VcToken gives it.
        /// </summary>
        private void RefreshScriptSession(bool verbose)
        {
            ScopeState scope = ModuleScope.For(this, out PSVariableIntrinsics variables, out SessionOwner owner);
            object? session = ModuleScope.GetSession(variables);
            if (session == null)
            {
                this.Throw(Errors.Argument("MissingSession", JwtMessage, null));
            }
            object? token = PSValues.Get(session, "Token");
            object? jwtObject = token != null ? PSValues.Get(token, "JWT") : null;
            if (!LanguagePrimitives.IsTrue(jwtObject))
            {
                this.Throw(Errors.Argument("MissingJwt", JwtMessage, null));
            }
            string endpoint = PSValues.ToText(PSValues.Get(token, "Endpoint"));
            if (endpoint.Length == 0)
            {
                this.Throw(Errors.Argument("MissingEndpoint", NoEndpointMessage, null));
            }

            TokenRequest request = StartRequest(endpoint, verbose);
            VcResult result;
            if (scope.IsBegun(token!, jwtObject!, endpoint))
            {
                result = Call(request, NativeCall.VcOperation.Refresh, scope.Session, endpoint, null, null, verbose);
            }
            else
            {
                JwtOf(jwtObject!, out string? jwtText, out SecureString? jwtSecure);
                result = Call(request, NativeCall.VcOperation.Begin, scope.EnsureSession(), endpoint, jwtText, jwtSecure, verbose);
                scope.Begun(token!, jwtObject!, endpoint);
            }

            if (owner == SessionOwner.VenafiPS)
            {
                PSObject newToken = NewToken(endpoint, result.Access, jwtObject!, result.Expires);
                PSValues.Set(session, "Token", newToken);
                scope.Begun(newToken, jwtObject!, endpoint);
            }
            else
            {
                var accessCredential = new PSCredential("AccessToken", result.Access);
                PSValues.Set(token!, "AccessToken", accessCredential);
                PSValues.Set(token!, "Expires", result.Expires);
            }
            if (verbose)
            {
                WriteVerbose("Refreshed access token in script scoped variable VenafiSession");
            }
        }

        private struct VcResult
        {
            internal SecureString Access;
            internal DateTime Expires;
        }

        /// <summary>
        /// The native call and the token's access token and expiry; a terminating error for a
        /// failure (an invalid -Endpoint worded as VenafiPS's check words it), PipelineStoppedException
        /// when Ctrl+C stopped it.
        /// </summary>
        private VcResult Call(
            TokenRequest request, NativeCall.VcOperation operation, VcSessionHandle? session, string endpoint, string? jwtText, SecureString? jwtSecure,
            bool verbose, bool endpointGiven = false) =>
            request.Run(
                (config, timeoutMs, token) => NativeCall.Vc(operation, session, config, endpoint, jwtText, jwtSecure, timeoutMs, _cancellation, token),
                token =>
                {
                    NativeResult read = token.AccessToken(out SecureString? access);
                    if (read == NativeResult.Ok)
                    {
                        read = token.Expires(out DateTime expires);
                        if (read == NativeResult.Ok)
                        {
                            if (verbose)
                            {
                                WriteVerbose(string.Format(
                                    CultureInfo.CurrentCulture, "Access token received in {0:0.0} ms; expires {1:o} (in {2:0} s).",
                                    request.ElapsedMilliseconds, expires, (expires - DateTime.UtcNow).TotalSeconds));
                            }
                            return new VcResult { Access = access!, Expires = expires };
                        }
                    }
                    request.Fail(read);
                    return default;
                },
                result => endpointGiven && result == NativeResult.InvalidUrl ? InvalidEndpointMessage(endpoint) : null);

        /// <summary>A request to the token endpoint (writes the verbose "POST" line).</summary>
        private TokenRequest StartRequest(string endpoint, bool verbose) =>
            new TokenRequest(this, endpoint, "", TargetCache.Endpoints.Get(endpoint), "client credentials grant, JWT assertion", verbose);

        /// <summary>
        /// The JWT of a session: a PSCredential (its password), a SecureString, or a string;
        /// anything else is an InvalidJwtType error.
        /// </summary>
        private void JwtOf(object jwtObject, out string? text, out SecureString? secure)
        {
            object value = PSValues.Unwrap(jwtObject);
            text = null;
            secure = null;
            if (value is PSCredential credential)
            {
                secure = credential.Password ?? new SecureString();
            }
            else if (value is SecureString secureString)
            {
                secure = secureString;
            }
            else if (value is string plain)
            {
                text = plain;
            }
            else
            {
                this.Throw(Errors.Argument(
                    "InvalidJwtType",
                    "The VenafiSession's Token.JWT is a " + value.GetType().FullName +
                    ": a JWT is a PSCredential (password: the JWT), a SecureString or a string.",
                    null));
            }
        }

        /// <summary>The output object: Endpoint, AccessToken, JWT, Expires (as VenafiPS's).</summary>
        private static PSObject NewToken(string endpoint, SecureString access, object jwtCredential, DateTime expires)
        {
            var token = new PSObject();
            PSMemberInfoCollection<PSPropertyInfo> properties = token.Properties;
            properties.Add(new PSNoteProperty("Endpoint", endpoint), preValidated: true);
            properties.Add(new PSNoteProperty("AccessToken", new PSCredential("AccessToken", access)), preValidated: true);
            properties.Add(new PSNoteProperty("JWT", jwtCredential), preValidated: true);
            properties.Add(new PSNoteProperty("Expires", expires), preValidated: true);
            return token;
        }

        private static readonly Regex LooksLikeJwt = new Regex(@"^ey[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);

        /// <summary>
        /// The library's InvalidUrl for -Endpoint, worded as VenafiPS's -Endpoint check words it.
        /// Never echoes a value that looks like a JWT (-Endpoint and -Jwt swapped), nor a long one whole.
        /// </summary>
        private static string InvalidEndpointMessage(string endpoint)
        {
            string shown = LooksLikeJwt.IsMatch(endpoint)
                ? "a value that looks like a JWT (are -Endpoint and -Jwt swapped?)"
                : endpoint.Length > 200
                    ? "'" + endpoint.Substring(0, 60) + "...' (" + endpoint.Length.ToString(CultureInfo.InvariantCulture) + " characters)"
                    : "'" + endpoint + "'";
            return "Please enter a valid endpoint, eg. https://api.venafi.cloud/v1/oauth2/v2.0/<tenant-id>/token (the Token Endpoint URL shown on the service account details page in TLSPC). -Endpoint is not an absolute http(s) URL: " +
                   shown + ".";
        }
    }
}
