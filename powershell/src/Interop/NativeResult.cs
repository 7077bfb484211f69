namespace NativeToken.Interop
{
    /// <summary>
    /// nt_result (include/native_token.h): what every fallible native function returns, and the
    /// kind of an nt_error. Names are the header's NT_* names in PascalCase, which are also the
    /// names nt_result_name gives and the kinds in the module's error ids (NativeToken.&lt;Kind&gt;,
    /// docs/ERRORS.md). tests/module/Interop.Tests.ps1 checks every member against the header.
    /// </summary>
    internal enum NativeResult : uint
    {
        Ok = 0,
        InvalidArgument = 1,
        InvalidHandle = 2,
        InvalidUrl = 3,
        InsecureUrl = 4,
        MalformedJwt = 5,
        ExpiredJwt = 6,
        HttpStatus = 7,
        Timeout = 8,
        ConnectFailed = 9,
        DnsFailed = 10,
        ConnectionReset = 11,
        TlsFailed = 12,
        InvalidResponse = 13,
        NoSession = 14,
        Panic = 15,
        Cancelled = 16,
    }
}

namespace NativeToken.Interop
{
    using System;

    internal static class NativeResults
    {
        /// <summary>
        /// The name of a result, as nt_result_name gives it: the member's name, "Unknown" for a
        /// value this module does not know (a newer library's code).
        /// </summary>
        internal static string Name(NativeResult result) =>
            Enum.IsDefined(typeof(NativeResult), result) ? result.ToString() : "Unknown";
    }
}
