using System;
using System.Management.Automation;

namespace NativeToken.Interop
{
    /// <summary>
    /// Ctrl+C for one cmdlet invocation: the native call in flight watches an nt_cancel, and
    /// StopProcessing (on another thread) triggers it, so the call returns NT_CANCELLED at once.
    /// A stop that arrives before the call makes the call not start; one that arrives after it
    /// does nothing. The lock orders the trigger against the handle's return to the pool or its
    /// free, so a handle is never triggered once it is back in the pool or freed.
    /// </summary>
    internal sealed class Cancellation
    {
        private CancelHandle? _current;
        private bool _stopped;

        /// <summary>The handle for the next native call; PipelineStoppedException if the pipeline is stopping.</summary>
        internal CancelHandle Enter()
        {
            CancelHandle handle = CancelPool.Rent();
            lock (this)
            {
                if (!_stopped)
                {
                    _current = handle;
                    return handle;
                }
            }
            CancelPool.Return(handle);
            throw new PipelineStoppedException();
        }

        /// <summary>After the call: the handle goes back to the pool unless it was triggered.</summary>
        internal void Exit(CancelHandle handle)
        {
            bool triggered;
            lock (this)
            {
                _current = null;
                triggered = _stopped;
            }
            if (triggered)
            {
                handle.Dispose();
            }
            else
            {
                CancelPool.Return(handle);
            }
        }

        /// <summary>From StopProcessing: stops the call in flight, and any later one.</summary>
        internal void Stop()
        {
            lock (this)
            {
                _stopped = true;
                if (_current != null)
                {
                    _current.Trigger();
                }
            }
        }
    }

    /// <summary>
    /// Untriggered nt_cancel handles for reuse (a triggered one never comes back), so that a call
    /// usually costs no nt_cancel_new/nt_cancel_free. Process-wide, a few per thread at most.
    /// </summary>
    internal static class CancelPool
    {
        private const int Capacity = 8;
        private static readonly CancelHandle?[] s_free = new CancelHandle?[Capacity];
        private static int s_count;

        internal static CancelHandle Rent()
        {
            lock (s_free)
            {
                if (s_count > 0)
                {
                    CancelHandle pooled = s_free[--s_count]!;
                    s_free[s_count] = null;
                    return pooled;
                }
            }
            return CancelHandle.New();
        }

        internal static void Return(CancelHandle handle)
        {
            lock (s_free)
            {
                if (s_count < Capacity)
                {
                    s_free[s_count++] = handle;
                    return;
                }
            }
            handle.Dispose();
        }
    }
}
