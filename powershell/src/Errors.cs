using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Management.Automation;
using System.Net;
using System.Reflection;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>
    /// The module's ErrorRecords (docs/ERRORS.md): FullyQualifiedErrorId NativeToken.&lt;Kind&gt;
    /// (PowerShell appends ",&lt;implementing type&gt;"), category and exception type by kind,
    /// TargetObject the URL called (never a secret) or null, and Exception.Data entries
    /// NativeTokenErrorKind, NativeTokenResult, HttpStatus and NativeTokenTrace. Error paths only.
    /// </summary>
    internal static class Errors
    {
        /// <summary>A problem found before any native call (missing session, bad argument).</summary>
        internal static ErrorRecord Argument(string id, string message, object? target)
        {
            var exception = new ArgumentException(message);
            exception.Data[DataKind] = "InvalidArgument";
            return new ErrorRecord(exception, "NativeToken." + id, ErrorCategory.InvalidArgument, target);
        }

        // The Exception.Data entries of the module's errors (docs/ERRORS.md).
        private const string DataKind = "NativeTokenErrorKind";
        private const string DataResult = "NativeTokenResult";
        private const string DataStatus = "HttpStatus";
        private const string DataTrace = "NativeTokenTrace";

        /// <summary>
        /// The ErrorRecord of a native call that returned <paramref name="result"/>: takes the
        /// calling thread's last native error (right after the call), writes its trace as verbose
        /// lines when asked, and maps its kind to the record's id, category and exception.
        /// <paramref name="suffix"/> is appended to the message (it says which setting a
        /// configuration error came from); <paramref name="message"/>, when given, replaces the
        /// library's (where the original's wording is kept).
        /// </summary>
        internal static ErrorRecord Native(Cmdlet cmdlet, NativeResult result, string? target, bool verbose, string? suffix = null, string? message = null)
        {
            NativeError error = NativeError.TakeLast(result);
            NativeResult kind = error.Kind;
            int status = error.HttpStatus;
            string name = NativeResults.Name(kind);
            message = message ?? error.Message;
            if (string.IsNullOrEmpty(message))
            {
                message = "The native token library failed with " + name + " (" + ((uint)kind).ToString(CultureInfo.InvariantCulture) + ").";
            }
            if (suffix != null)
            {
                message += suffix;
            }
            if (verbose)
            {
                WriteTrace(cmdlet, error.Trace);
            }

            Exception exception = NewException(kind, message!, status);
            exception.Data[DataKind] = name;
            exception.Data[DataResult] = (uint)kind;
            if (status != 0)
            {
                exception.Data[DataStatus] = status;
            }
            if (!string.IsNullOrEmpty(error.Trace))
            {
                exception.Data[DataTrace] = error.Trace;
            }
            return new ErrorRecord(exception, "NativeToken." + name, Category(kind, status), target);
        }

        /// <summary>The exception type of a kind: what the caller of Invoke-RestMethod would catch for it.</summary>
        private static Exception NewException(NativeResult kind, string message, int status) => kind switch
        {
            NativeResult.InvalidArgument or NativeResult.InvalidUrl or NativeResult.InsecureUrl or
                NativeResult.MalformedJwt or NativeResult.ExpiredJwt => new ArgumentException(message),
            NativeResult.Timeout => new TimeoutException(message),
            NativeResult.HttpStatus or NativeResult.ConnectFailed or NativeResult.DnsFailed or
                NativeResult.ConnectionReset or NativeResult.TlsFailed => HttpException(kind, message, status),
            _ => new InvalidOperationException(message),
        };

        /// <summary>The ErrorCategory of a kind (of an HTTP status, for HttpStatus).</summary>
        private static ErrorCategory Category(NativeResult kind, int status) => kind switch
        {
            NativeResult.InvalidArgument or NativeResult.InvalidUrl or NativeResult.InsecureUrl or
                NativeResult.MalformedJwt or NativeResult.ExpiredJwt => ErrorCategory.InvalidArgument,
            NativeResult.Timeout => ErrorCategory.OperationTimeout,
            NativeResult.HttpStatus => status switch
            {
                401 or 403 => ErrorCategory.AuthenticationError,
                404 => ErrorCategory.ObjectNotFound,
                408 => ErrorCategory.OperationTimeout,
                429 => ErrorCategory.LimitsExceeded,
                >= 500 => ErrorCategory.ResourceUnavailable,
                _ => ErrorCategory.ProtocolError,
            },
            NativeResult.ConnectFailed or NativeResult.DnsFailed or NativeResult.ConnectionReset => ErrorCategory.ConnectionError,
            NativeResult.TlsFailed => ErrorCategory.SecurityError,
            NativeResult.InvalidResponse => ErrorCategory.InvalidResult,
            NativeResult.NoSession => ErrorCategory.ObjectNotFound,
            _ => ErrorCategory.NotSpecified,
        };

        /// <summary>
        /// A failed native call as the cmdlet's terminating error; when Ctrl+C stopped it
        /// (NT_CANCELLED), drops the error the library recorded (it says only that) and stops the
        /// pipeline the way PowerShell does.
        /// </summary>
        [DoesNotReturn]
        internal static void ThrowNative(this Cmdlet cmdlet, NativeResult result, string? target, bool verbose)
        {
            if (result == NativeResult.Cancelled)
            {
                NativeError.Discard();
                throw new PipelineStoppedException();
            }
            cmdlet.Throw(Native(cmdlet, result, target, verbose));
        }

        /// <summary>ThrowTerminatingError, marked as not returning for the compiler's flow analysis.</summary>
        [DoesNotReturn]
        internal static void Throw(this Cmdlet cmdlet, ErrorRecord error)
        {
            cmdlet.ThrowTerminatingError(error);
            throw new InvalidOperationException(error.ToString()); // not reached: ThrowTerminatingError throws
        }

        /// <summary>The native trace as "native: &lt;line&gt;" verbose lines.</summary>
        internal static void WriteTrace(Cmdlet cmdlet, string? trace)
        {
            if (string.IsNullOrEmpty(trace))
            {
                return;
            }
            foreach (string line in trace!.Split(LineBreaks, StringSplitOptions.RemoveEmptyEntries))
            {
                cmdlet.WriteVerbose("native: " + line);
            }
        }

        private static readonly char[] LineBreaks = { '\r', '\n' };

        /// <summary>
        /// HttpRequestException with StatusCode (and HttpRequestError on .NET 8+) on PowerShell 7,
        /// as Invoke-RestMethod throws; WebException with its Status on Windows PowerShell 5.1.
        /// </summary>
        private static Exception HttpException(NativeResult kind, string message, int status)
        {
            if (Runtime.IsNetFramework)
            {
                return new WebException(message, WebStatus(kind));
            }

            object? statusCode = status != 0 ? (object)(HttpStatusCode)status : null;
            HttpExceptionFactory factory = HttpExceptionFactory.Instance;
            if (factory.WithRequestError != null)
            {
                object errorValue = Enum.Parse(factory.RequestErrorType!, RequestError(kind));
                return (Exception)factory.WithRequestError.Invoke(new object?[] { errorValue, message, null, statusCode });
            }
            if (factory.WithStatus != null)
            {
                return (Exception)factory.WithStatus.Invoke(new object?[] { message, null, statusCode });
            }
            return new System.Net.Http.HttpRequestException(message);
        }

        /// <summary>WebException's status for a kind (Windows PowerShell 5.1's Invoke-RestMethod throws WebException).</summary>
        private static WebExceptionStatus WebStatus(NativeResult kind) => kind switch
        {
            NativeResult.HttpStatus => WebExceptionStatus.ProtocolError,
            NativeResult.ConnectFailed => WebExceptionStatus.ConnectFailure,
            NativeResult.DnsFailed => WebExceptionStatus.NameResolutionFailure,
            NativeResult.ConnectionReset => WebExceptionStatus.ConnectionClosed,
            NativeResult.TlsFailed => WebExceptionStatus.TrustFailure,
            _ => WebExceptionStatus.UnknownError,
        };

        /// <summary>The name of HttpRequestError's member for a kind (.NET 8+).</summary>
        private static string RequestError(NativeResult kind) => kind switch
        {
            NativeResult.ConnectFailed => "ConnectionError",
            NativeResult.DnsFailed => "NameResolutionError",
            NativeResult.ConnectionReset => "ResponseEnded",
            NativeResult.TlsFailed => "SecureConnectionError",
            _ => "Unknown",
        };

        /// <summary>The HttpRequestException constructors of this runtime, looked up once.</summary>
        private sealed class HttpExceptionFactory
        {
            internal static readonly HttpExceptionFactory Instance = new HttpExceptionFactory();

            internal readonly Type? RequestErrorType;

            // (HttpRequestError, string, Exception, HttpStatusCode?): .NET 8+.
            internal readonly ConstructorInfo? WithRequestError;

            // (string, Exception, HttpStatusCode?): .NET 5+.
            internal readonly ConstructorInfo? WithStatus;

            private HttpExceptionFactory()
            {
                Type type = typeof(System.Net.Http.HttpRequestException);
                Type nullableStatus = typeof(HttpStatusCode?);
                RequestErrorType = type.Assembly.GetType("System.Net.Http.HttpRequestError", throwOnError: false);
                if (RequestErrorType != null)
                {
                    WithRequestError = type.GetConstructor(new[] { RequestErrorType, typeof(string), typeof(Exception), nullableStatus });
                }
                WithStatus = type.GetConstructor(new[] { typeof(string), typeof(Exception), nullableStatus });
            }
        }
    }
}
