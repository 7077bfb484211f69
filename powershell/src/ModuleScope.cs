using System;
using System.Management.Automation;
using System.Management.Automation.Runspaces;
using System.Runtime.CompilerServices;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>
    /// The state of one module scope (one import of NativeToken in one runspace: the script scope
    /// of the root module NativeToken.psm1, where $VenafiSession lives): the native TLSPC session
    /// and what was begun with it, so that a bare New-VcToken can tell whether $VenafiSession
    /// still holds that session (then the native session refreshes, reading endpoint and JWT
    /// natively) or the user put something else there (then that is begun).
    /// </summary>
    internal sealed class ScopeState
    {
        /// <summary>The native session; made at the first begin, freed with this state (when the module instance is collected).</summary>
        internal VcSessionHandle? Session;

        /// <summary>The token object (PSObject, hashtable, ...) the native session was last begun for.</summary>
        internal object? Token;

        /// <summary>That token's JWT object (PSCredential, SecureString or string) at the time.</summary>
        internal object? Jwt;

        /// <summary>That token's endpoint at the time.</summary>
        internal string? Endpoint;

        /// <summary>Whether <paramref name="token"/>, its <paramref name="jwt"/> and <paramref name="endpoint"/> are still what was begun.</summary>
        internal bool IsBegun(object token, object jwt, string endpoint) =>
            Session != null &&
            ReferenceEquals(Token, token) &&
            ReferenceEquals(Jwt, jwt) &&
            string.Equals(Endpoint, endpoint, StringComparison.Ordinal);

        internal void Begun(object token, object jwt, string endpoint)
        {
            Token = token;
            Jwt = jwt;
            Endpoint = endpoint;
        }

        /// <summary>The native session, made at the first begin.</summary>
        internal VcSessionHandle EnsureSession() => Session ?? (Session = VcSessionHandle.New());
    }

    /// <summary>Where a call's $VenafiSession lives.</summary>
    internal enum SessionOwner
    {
        /// <summary>NativeToken's own script scope (VenafiPS not loaded, or the takeover off).</summary>
        NativeToken,

        /// <summary>VenafiPS's script scope: the session is VenafiPS's own $VenafiSession.</summary>
        VenafiPS,
    }

    /// <summary>Finds the module scope of a call, its state and its $VenafiSession variable.</summary>
    internal static class ModuleScope
    {
        internal const string VariableName = "VenafiSession";

        /// <summary>The module whose $VenafiSession is the session once loaded (with the takeover on).</summary>
        internal const string VenafiPSModule = "VenafiPS";

        /// <summary>NativeToken.psm1's script variable: whether the takeover is on.</summary>
        private const string TakeoverVariable = "NativeTokenTakeover";

        // Keyed by the root module's PSModuleInfo (one per import per runspace), or, when the DLL
        // was imported on its own (no script scope of its own), by the runspace. Entries die with
        // their key.
        private static readonly ConditionalWeakTable<object, ScopeState> States = new ConditionalWeakTable<object, ScopeState>();

        private static readonly ConditionalWeakTable<object, ScopeState>.CreateValueCallback NewState = _ => new ScopeState();

        /// <summary>
        /// The state of the scope the cmdlet runs for, and where $VenafiSession lives: with the
        /// takeover on and VenafiPS loaded, VenafiPS's script scope (<paramref name="owner"/>
        /// VenafiPS); else the root module's script scope (MyInvocation.MyCommand.Module is
        /// NativeToken.psm1's module when the cmdlets come through the manifest); else
        /// (NativeToken.dll imported on its own, a binary module without a script scope) the
        /// caller's session state, one state per runspace. The state (the native session) is
        /// NativeToken's in every case: it follows whichever $VenafiSession is the session.
        /// </summary>
        internal static ScopeState For(PSCmdlet cmdlet, out PSVariableIntrinsics variables, out SessionOwner owner)
        {
            PSModuleInfo? module = cmdlet.MyInvocation.MyCommand.Module;
            SessionState? moduleState = module?.SessionState;
            if (moduleState != null)
            {
                SessionState? venafiPS = IsTakeoverOn(moduleState) ? VenafiPSState(cmdlet) : null;
                owner = venafiPS != null ? SessionOwner.VenafiPS : SessionOwner.NativeToken;
                variables = (venafiPS ?? moduleState).PSVariable;
                return States.GetValue(module!, NewState);
            }
            owner = SessionOwner.NativeToken;
            variables = cmdlet.SessionState.PSVariable;
            Runspace? runspace = Runspace.DefaultRunspace;
            return runspace != null ? States.GetValue(runspace, NewState) : new ScopeState();
        }

        private static bool IsTakeoverOn(SessionState moduleState) =>
            LanguagePrimitives.IsTrue(moduleState.PSVariable.GetValue(TakeoverVariable));

        /// <summary>
        /// VenafiPS's session state when VenafiPS is loaded: the caller's own when the call comes
        /// from inside VenafiPS, else the owner of the global $VenafiSession (VenafiPS exports
        /// it, so it is VenafiPS's whenever VenafiPS was imported globally; NativeToken.psm1 does
        /// not take the name from it). Two lookups, no command run: this is on every call's path.
        /// </summary>
        private static SessionState? VenafiPSState(PSCmdlet cmdlet)
        {
            PSModuleInfo? caller = cmdlet.SessionState.Module;
            if (caller != null && IsVenafiPS(caller))
            {
                return caller.SessionState;
            }
            PSModuleInfo? owner = cmdlet.SessionState.PSVariable.Get("global:" + VariableName)?.Module;
            return owner != null && IsVenafiPS(owner) ? owner.SessionState : null;
        }

        private static bool IsVenafiPS(PSModuleInfo module) =>
            module.SessionState != null && string.Equals(module.Name, VenafiPSModule, StringComparison.OrdinalIgnoreCase);

        internal static object? GetSession(PSVariableIntrinsics variables) => variables.GetValue(VariableName);

        internal static void SetSession(PSVariableIntrinsics variables, object value)
        {
            PSVariable? variable = variables.Get(VariableName);
            if (variable != null)
            {
                variable.Value = value;
            }
            else
            {
                variables.Set("script:" + VariableName, value);
            }
        }
    }
}
