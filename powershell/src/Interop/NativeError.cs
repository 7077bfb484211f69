using System;

namespace NativeToken.Interop
{
    /// <summary>
    /// The calling thread's last native error (nt_error), read into managed values and freed at
    /// once. Taken right after the failed call, on the same thread (the library keeps one last
    /// error per thread). Its message and trace never hold a secret (docs/ERRORS.md).
    /// </summary>
    internal sealed class NativeError
    {
        /// <summary>The kind: the error's own, else the result of the failed call.</summary>
        internal readonly NativeResult Kind;

        /// <summary>The HTTP status of an HttpStatus error; 0 otherwise.</summary>
        internal readonly int HttpStatus;

        /// <summary>The library's message; null when there was no error to take.</summary>
        internal readonly string? Message;

        /// <summary>What the call did (attempts, proxy, timings), one line each; null when none.</summary>
        internal readonly string? Trace;

        private NativeError(NativeResult kind, int httpStatus, string? message, string? trace)
        {
            Kind = kind;
            HttpStatus = httpStatus;
            Message = message;
            Trace = trace;
        }

        /// <summary>Takes (and frees) the last error of a call that returned <paramref name="result"/>.</summary>
        internal static unsafe NativeError TakeLast(NativeResult result)
        {
            using (var error = new ErrorHandle())
            {
                error.Adopt(NativeMethods.nt_error_take_last());
                if (error.IsInvalid)
                {
                    return new NativeError(result, 0, null, null);
                }
                NativeResult kind;
                if (NativeMethods.nt_error_kind(error, &kind) != NativeResult.Ok)
                {
                    kind = result;
                }
                ushort status;
                int httpStatus = NativeMethods.nt_error_http_status(error, &status) == NativeResult.Ok ? status : 0;
                byte* text;
                UIntPtr length;
                string? message = NativeMethods.nt_error_message(error, &text, &length) == NativeResult.Ok ? NativeText.Decode(text, length) : null;
                string? trace = NativeMethods.nt_error_trace(error, &text, &length) == NativeResult.Ok ? NativeText.Decode(text, length) : null;
                return new NativeError(kind, httpStatus, message, trace);
            }
        }

        /// <summary>Drops the last error unread (a cancelled call's, which says only that).</summary>
        internal static void Discard() => NativeMethods.nt_error_free(NativeMethods.nt_error_take_last());
    }
}
