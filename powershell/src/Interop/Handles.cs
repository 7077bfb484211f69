using System;
using System.Runtime.InteropServices;

namespace NativeToken.Interop
{
    /// <summary>
    /// A handle the native library handed out, freed exactly once by its own *_free, also when an
    /// exception or a pipeline stop unwinds the call that made it (or by the finalizer, if
    /// nothing else did). Made empty before the native call that fills it, so that nothing is
    /// allocated between the call's return and the handle being owned. Native calls take the
    /// SafeHandle itself (NativeMethods), so each holds a reference while it runs: a handle
    /// disposed meanwhile is freed when the last call using it returns.
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

        protected sealed override bool ReleaseHandle()
        {
            Free(handle);
            return true;
        }

        /// <summary>The native *_free of this handle type.</summary>
        protected abstract void Free(IntPtr value);

        /// <summary>
        /// A new handle from a native *_new function; InvalidOperationException (naming the
        /// function and the result) in the one case it fails: the library is out of order.
        /// </summary>
        internal static unsafe T New<T>(NewFunction create, string function)
            where T : NativeHandle, new()
        {
            var owner = new T();
            IntPtr raw;
            NativeResult result = create(&raw);
            if (result != NativeResult.Ok)
            {
                owner.Dispose();
                throw new InvalidOperationException("NativeToken: " + function + " failed with " + NativeResults.Name(result) + ".");
            }
            owner.Adopt(raw);
            return owner;
        }

        internal unsafe delegate NativeResult NewFunction(IntPtr* outHandle);
    }

    /// <summary>nt_config: immutable settings and their connection pool, shared by calls on any thread.</summary>
    internal sealed class ConfigHandle : NativeHandle
    {
        protected override void Free(IntPtr value) => NativeMethods.nt_config_free(value);
    }

    /// <summary>nt_cancel: what a call watches; triggered by StopProcessing on another thread.</summary>
    internal sealed class CancelHandle : NativeHandle
    {
        internal static unsafe CancelHandle New() => New<CancelHandle>(NativeMethods.nt_cancel_new, "nt_cancel_new");

        /// <summary>Makes the call watching this handle return NT_CANCELLED (from any thread).</summary>
        internal void Trigger() => _ = NativeMethods.nt_cancel_trigger(this);

        protected override void Free(IntPtr value) => NativeMethods.nt_cancel_free(value);
    }

    /// <summary>nt_config_builder: consumed by nt_config_builder_build, else nt_config_builder_free.</summary>
    internal sealed class ConfigBuilderHandle : NativeHandle
    {
        /// <summary>nt_config_builder_build took the builder (in every case): never free it again.</summary>
        internal void Consumed() => SetHandleAsInvalid();

        protected override void Free(IntPtr value) => NativeMethods.nt_config_builder_free(value);
    }

    /// <summary>nt_vc_session: the TLSPC session of one module scope (endpoint, JWT, kept natively).</summary>
    internal sealed class VcSessionHandle : NativeHandle
    {
        internal static unsafe VcSessionHandle New() => New<VcSessionHandle>(NativeMethods.nt_vc_session_new, "nt_vc_session_new");

        protected override void Free(IntPtr value) => NativeMethods.nt_vc_session_free(value);
    }

    /// <summary>nt_error: the last error of the calling thread, taken right after a failed call (NativeError).</summary>
    internal sealed class ErrorHandle : NativeHandle
    {
        protected override void Free(IntPtr value) => NativeMethods.nt_error_free(value);
    }

    /// <summary>
    /// A configuration in use by one call: holds a reference, so that the configuration stays
    /// alive even if the cache drops it meanwhile (it is then freed when the lease ends).
    /// </summary>
    internal sealed class ConfigLease : IDisposable
    {
        private readonly ConfigHandle _handle;
        private bool _referenced;

        internal ConfigLease(ConfigHandle handle)
        {
            _handle = handle;
            handle.DangerousAddRef(ref _referenced);
        }

        internal ConfigHandle Handle => _handle;

        public void Dispose()
        {
            if (_referenced)
            {
                _referenced = false;
                _handle.DangerousRelease();
            }
        }
    }
}
