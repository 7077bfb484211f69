using System;
using System.Runtime.InteropServices;

namespace NativeToken.Interop
{
    /// <summary>
    /// A handle the native library handed out, freed exactly once by its own *_free, also when an
    /// exception or a pipeline stop unwinds the call that made it (or by the finalizer, if
    /// nothing else did). Made empty before the native call that fills it, so that nothing is
    /// allocated between the call's return and the handle being owned.
    /// </summary>
    internal abstract class NativeHandle : SafeHandle
    {
        protected NativeHandle()
            : base(IntPtr.Zero, ownsHandle: true)
        {
        }

        public override bool IsInvalid => handle == IntPtr.Zero;

        /// <summary>Takes ownership of what a native call wrote to its out-pointer.</summary>
        internal void Adopt(IntPtr value) => SetHandle(value);
    }

    /// <summary>nt_config_builder: consumed by nt_config_builder_build, else nt_config_builder_free.</summary>
    internal sealed class ConfigBuilderHandle : NativeHandle
    {
        /// <summary>nt_config_builder_build took the builder (in every case): never free it again.</summary>
        internal void Consumed() => SetHandleAsInvalid();

        protected override bool ReleaseHandle()
        {
            NativeMethods.nt_config_builder_free(handle);
            return true;
        }
    }

    /// <summary>nt_config: immutable settings and their connection pool, shared by calls on any thread.</summary>
    internal sealed class ConfigHandle : NativeHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.nt_config_free(handle);
            return true;
        }
    }

    /// <summary>nt_cancel: what a call watches; triggered by StopProcessing on another thread.</summary>
    internal sealed class CancelHandle : NativeHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.nt_cancel_free(handle);
            return true;
        }
    }

    /// <summary>nt_vc_session: the TLSPC session of one module scope (endpoint, JWT, kept natively).</summary>
    internal sealed class VcSessionHandle : NativeHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.nt_vc_session_free(handle);
            return true;
        }
    }

    /// <summary>nt_token: one answer of a token service; nt_token_free wipes its secrets.</summary>
    internal sealed class TokenHandle : NativeHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.nt_token_free(handle);
            return true;
        }
    }

    /// <summary>nt_error: the last error of the calling thread, taken right after a failed call.</summary>
    internal sealed class ErrorHandle : NativeHandle
    {
        protected override bool ReleaseHandle()
        {
            NativeMethods.nt_error_free(handle);
            return true;
        }
    }
}
