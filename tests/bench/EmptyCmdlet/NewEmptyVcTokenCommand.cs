using System;
using System.Management.Automation;
using System.Security;

namespace EmptyToken
{
    /// <summary>
    /// New-EmptyVcToken: New-VcToken's parameters (sets, mandatory flags, validation) and its
    /// output object for -Endpoint -Jwt (a PSCustomObject with Endpoint, AccessToken and JWT as
    /// PSCredentials, and Expires in UTC), with no work behind it: no native call, no session.
    /// What any compiled cmdlet with this signature and output costs per call
    /// (empty_cmdlet_us_p50 in tests/bench).
    /// </summary>
    [Cmdlet(VerbsCommon.New, "EmptyVcToken", DefaultParameterSetName = "ScriptSession")]
    [OutputType(typeof(PSObject))]
    public sealed class NewEmptyVcTokenCommand : PSCmdlet
    {
        private const string AccessToken = "bench-access-token-0123456789abcdef0123456789abcdef";

        [Parameter(Mandatory = true, ParameterSetName = "Endpoint")]
        [ValidateNotNullOrEmpty]
        public string Endpoint { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = "Endpoint")]
        [Parameter(ParameterSetName = "Session")]
        [ValidateNotNullOrEmpty]
        public string Jwt { get; set; } = "";

        [Parameter(Mandatory = true, ParameterSetName = "Session")]
        [ValidateNotNull]
        public PSObject? VenafiSession { get; set; }

        protected override void EndProcessing()
        {
            var token = new PSObject();
            PSMemberInfoCollection<PSPropertyInfo> properties = token.Properties;
            properties.Add(new PSNoteProperty("Endpoint", Endpoint), preValidated: true);
            properties.Add(new PSNoteProperty("AccessToken", new PSCredential("AccessToken", Secure(AccessToken))), preValidated: true);
            properties.Add(new PSNoteProperty("JWT", new PSCredential("JWT", Secure(Jwt))), preValidated: true);
            properties.Add(new PSNoteProperty("Expires", DateTime.UtcNow.AddSeconds(3600)), preValidated: true);
            WriteObject(token);
        }

        private static unsafe SecureString Secure(string value)
        {
            fixed (char* chars = value)
            {
                var secure = new SecureString(chars, value.Length);
                secure.MakeReadOnly();
                return secure;
            }
        }
    }
}
