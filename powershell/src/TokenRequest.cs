using System;
using System.Diagnostics;
using System.Management.Automation;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>
    /// One native token call made for a cmdlet, the same way for every command: the settings of
    /// the call (timeout, configuration for the target), the call, a failure as the cmdlet's
    /// terminating error, the native trace as verbose lines, and the token read while it lives.
    /// </summary>
    internal sealed class TokenRequest
    {
        /// <summary>The native call (NativeCall), with the configuration and timeout chosen for it.</summary>
        internal delegate NativeResult Call(ConfigHandle config, uint timeoutMs, TokenHandle token);

        private readonly PSCmdlet _cmdlet;
        private readonly string _url;
        private readonly string _path;
        private readonly Uri? _target;
        private readonly bool _verbose;
        private readonly long _started;

        /// <summary>
        /// Starts a request to <paramref name="url"/> + <paramref name="path"/>, whose Uri (null
        /// when it does not parse) is <paramref name="target"/>; with verbose output on, writes
        /// "POST &lt;shown target&gt; (&lt;what&gt;)" first, naming the URL only when it is one
        /// (a value that is not may be a secret given in the wrong place).
        /// </summary>
        internal TokenRequest(PSCmdlet cmdlet, string url, string path, Uri? target, string what, bool verbose)
        {
            _cmdlet = cmdlet;
            _url = url;
            _path = path;
            _target = target;
            _verbose = verbose;
            if (verbose)
            {
                if (target != null)
                {
                    cmdlet.WriteVerbose("POST " + ShownTarget + " (" + what + ")");
                }
                _started = Stopwatch.GetTimestamp();
            }
        }

        /// <summary>
        /// The URL as verbose lines and error targets show it (<see cref="Show"/>): made only when
        /// one of them needs it, not on every call.
        /// </summary>
        private string ShownTarget => (_target == null || _target.UserInfo.Length == 0 ? _url : Show(_url)) + _path;

        /// <summary>
        /// A URL as the module shows it (verbose lines, ShouldProcess and error targets): as given,
        /// without its user:password@ part. The library's messages name URLs its own way.
        /// </summary>
        internal static string Show(string url)
        {
            if (Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) && uri.UserInfo.Length != 0)
            {
                var builder = new UriBuilder(uri) { UserName = "", Password = "" };
                return builder.Uri.AbsoluteUri;
            }
            return url;
        }

        /// <summary>Milliseconds since the request started (verbose output only).</summary>
        internal double ElapsedMilliseconds => (Stopwatch.GetTimestamp() - _started) * 1000.0 / Stopwatch.Frequency;

        /// <summary>
        /// Makes <paramref name="call"/> and returns what <paramref name="read"/> reads from the
        /// token. A failure is the cmdlet's terminating error, reworded by
        /// <paramref name="reword"/> when it gives a message for the result (the record then has
        /// no target: the reworded message names the value).
        /// </summary>
        internal T Run<T>(Call call, Func<TokenHandle, T> read, Func<NativeResult, string?>? reword = null)
        {
            uint timeoutMs = Settings.TimeoutMilliseconds();
            ConfigLease? config = Settings.Config(_cmdlet, _target, _verbose, out ErrorRecord? configError);
            if (config == null)
            {
                _cmdlet.Throw(configError!);
            }
            using (config)
            using (var token = new TokenHandle())
            {
                NativeResult result = call(config.Handle, timeoutMs, token);
                if (result != NativeResult.Ok)
                {
                    string? reworded = reword?.Invoke(result);
                    if (reworded != null)
                    {
                        _cmdlet.Throw(Errors.Native(_cmdlet, result, null, _verbose, message: reworded));
                    }
                    _cmdlet.ThrowNative(result, ShownTarget, _verbose);
                }
                if (_verbose)
                {
                    Errors.WriteTrace(_cmdlet, token.Text(TokenHandle.Field.Trace));
                }
                return read(token);
            }
        }

        /// <summary>A failure reading the token (the library out of order), as the cmdlet's terminating error.</summary>
        internal void Fail(NativeResult result) => _cmdlet.ThrowNative(result, ShownTarget, _verbose);
    }
}
