using System;
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
        internal const string DataKind = "NativeTokenErrorKind";
        internal const string DataResult = "NativeTokenResult";
        internal const string DataStatus = "HttpStatus";
        internal const string DataTrace = "NativeTokenTrace";

        /// <summary>A problem found before any native call (missing session, bad argument).</summary>
        internal static ErrorRecord Argument(string id, string message, object? target, string kind = "InvalidArgument")
        {
            var exception = new ArgumentException(message);
            exception.Data[DataKind] = kind;
            return new ErrorRecord(exception, "NativeToken." + id, ErrorCategory.InvalidArgument, target);
        }

        /// <summary>
        /// Takes the calling thread's last native error (right after the call that returned
        /// <paramref name="result"/>), frees it, writes its trace as verbose lines when asked,
        /// and makes the ErrorRecord. <paramref name="suffix"/> is appended to the message (it
        /// says which setting a configuration error came from).
        /// </summary>
        internal static unsafe ErrorRecord Native(Cmdlet cmdlet, uint result, string? target, bool verbose, string? suffix = null)
        {
            uint kind = result;
            int status = 0;
            string? message = null;
            string? trace = null;
            using (var error = new ErrorHandle())
            {
                error.Adopt(NativeMethods.nt_error_take_last());
                if (!error.IsInvalid)
                {
                    IntPtr e = error.DangerousGetHandle();
                    uint k;
                    if (NativeMethods.nt_error_kind(e, &k) == NativeMethods.Ok)
                    {
                        kind = k;
                    }
                    ushort s;
                    if (NativeMethods.nt_error_http_status(e, &s) == NativeMethods.Ok)
                    {
                        status = s;
                    }
                    byte* p;
                    UIntPtr n;
                    if (NativeMethods.nt_error_message(e, &p, &n) == NativeMethods.Ok)
                    {
                        message = NativeText.Decode(p, n);
                    }
                    if (NativeMethods.nt_error_trace(e, &p, &n) == NativeMethods.Ok)
                    {
                        trace = NativeText.Decode(p, n);
                    }
                }
            }

            string name = ResultName(kind);
            if (string.IsNullOrEmpty(message))
            {
                message = "The native token library failed with " + name + " (" + kind.ToString(CultureInfo.InvariantCulture) + ").";
            }
            if (suffix != null)
            {
                message += suffix;
            }
            if (verbose)
            {
                WriteTrace(cmdlet, trace);
            }

            Exception exception;
            ErrorCategory category;
            switch (name)
            {
                case "InvalidArgument":
                case "InvalidUrl":
                case "InsecureUrl":
                case "MalformedJwt":
                case "ExpiredJwt":
                    exception = new ArgumentException(message);
                    category = ErrorCategory.InvalidArgument;
                    break;
                case "Timeout":
                    exception = new TimeoutException(message);
                    category = ErrorCategory.OperationTimeout;
                    break;
                case "HttpStatus":
                case "ConnectFailed":
                case "DnsFailed":
                case "ConnectionReset":
                case "TlsFailed":
                    exception = HttpException(name, message!, status);
                    category = name == "TlsFailed" ? ErrorCategory.SecurityError
                        : name != "HttpStatus" ? ErrorCategory.ConnectionError
                        : status == 401 || status == 403 ? ErrorCategory.AuthenticationError
                        : status == 404 ? ErrorCategory.ObjectNotFound
                        : status == 408 ? ErrorCategory.OperationTimeout
                        : status == 429 ? ErrorCategory.LimitsExceeded
                        : status >= 500 ? ErrorCategory.ResourceUnavailable
                        : ErrorCategory.ProtocolError;
                    break;
                case "InvalidResponse":
                    exception = new InvalidOperationException(message);
                    category = ErrorCategory.InvalidResult;
                    break;
                case "NoSession":
                    exception = new InvalidOperationException(message);
                    category = ErrorCategory.ObjectNotFound;
                    break;
                default:
                    exception = new InvalidOperationException(message);
                    category = ErrorCategory.NotSpecified;
                    break;
            }
            exception.Data[DataKind] = name;
            exception.Data[DataResult] = kind;
            if (status != 0)
            {
                exception.Data[DataStatus] = status;
            }
            if (!string.IsNullOrEmpty(trace))
            {
                exception.Data[DataTrace] = trace;
            }
            return new ErrorRecord(exception, "NativeToken." + name, category, target);
        }

        /// <summary>
        /// After a native call: when Ctrl+C stopped it (NT_CANCELLED), drops the error the library
        /// recorded (it says only that) and stops the pipeline the way PowerShell does.
        /// </summary>
        internal static void ThrowIfCancelled(uint result)
        {
            if (result == NativeMethods.Cancelled)
            {
                NativeMethods.nt_error_free(NativeMethods.nt_error_take_last());
                throw new PipelineStoppedException();
            }
        }

        /// <summary>The name of a result code (nt_result_name: "HttpStatus", ..., "Unknown").</summary>
        internal static unsafe string ResultName(uint result) => NativeText.FromCString(NativeMethods.nt_result_name(result));

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
        private static Exception HttpException(string name, string message, int status)
        {
            if (Runtime.IsNetFramework)
            {
                WebExceptionStatus webStatus;
                switch (name)
                {
                    case "HttpStatus": webStatus = WebExceptionStatus.ProtocolError; break;
                    case "ConnectFailed": webStatus = WebExceptionStatus.ConnectFailure; break;
                    case "DnsFailed": webStatus = WebExceptionStatus.NameResolutionFailure; break;
                    case "ConnectionReset": webStatus = WebExceptionStatus.ConnectionClosed; break;
                    case "TlsFailed": webStatus = WebExceptionStatus.TrustFailure; break;
                    default: webStatus = WebExceptionStatus.UnknownError; break;
                }
                return new WebException(message, webStatus);
            }

            object? statusCode = status != 0 ? (object)(HttpStatusCode)status : null;
            HttpExceptionFactory factory = HttpExceptionFactory.Instance;
            if (factory.WithRequestError != null)
            {
                string requestError;
                switch (name)
                {
                    case "ConnectFailed": requestError = "ConnectionError"; break;
                    case "DnsFailed": requestError = "NameResolutionError"; break;
                    case "ConnectionReset": requestError = "ResponseEnded"; break;
                    case "TlsFailed": requestError = "SecureConnectionError"; break;
                    default: requestError = "Unknown"; break;
                }
                object errorValue = Enum.Parse(factory.RequestErrorType!, requestError);
                return (Exception)factory.WithRequestError.Invoke(new object?[] { errorValue, message, null, statusCode });
            }
            if (factory.WithStatus != null)
            {
                return (Exception)factory.WithStatus.Invoke(new object?[] { message, null, statusCode });
            }
            return new System.Net.Http.HttpRequestException(message);
        }

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
