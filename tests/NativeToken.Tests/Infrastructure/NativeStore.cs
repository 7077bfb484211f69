using System.Runtime.InteropServices;

namespace NativeToken.Tests.Infrastructure;

/// <summary>What the native session store holds for one service: where, with what, and the token.</summary>
public sealed record StoredSession(string Endpoint, string Jwt, string AccessToken, long ExpiresAtUnixMs);

/// <summary>
/// Reads the native library's process-wide session store directly, through the C ABI (the
/// module binds only what it needs), so tests can check that a failed call left it as it was.
/// The library file is the module's, so this is the instance the module's calls change.
/// </summary>
public static class NativeStore
{
    private const string Library = "native_token";
    private const uint Ok = 0;
    private const uint NoSession = 14;

    static NativeStore() =>
        NativeLibrary.SetDllImportResolver(typeof(NativeStore).Assembly,
            (name, _, _) => name == Library ? NativeLibrary.Load(RepoPaths.NativeLibrary) : IntPtr.Zero);

    /// <summary>The TLSPC session (null when there is none).</summary>
    public static StoredSession? Vc() => Read(nt_vc_session_token);

    /// <summary>The Armor session (null when there is none); its Jwt is empty.</summary>
    public static StoredSession? Armor() => Read(nt_armor_session_token);

    private delegate uint TokenGetter(out IntPtr token);

    private delegate uint TextGetter(IntPtr token, out IntPtr pointer, out UIntPtr length);

    private static StoredSession? Read(TokenGetter getter)
    {
        uint result = getter(out IntPtr token);
        if (result != Ok)
        {
            DiscardLastError();
            return result == NoSession ? null : throw new InvalidOperationException($"Reading the native session store failed with result {result}.");
        }
        try
        {
            Check(nt_token_expires_at_unix_ms(token, out long expiresAt), "nt_token_expires_at_unix_ms");
            return new StoredSession(Text(nt_token_endpoint, token), Text(nt_token_jwt, token), Text(nt_token_access_token, token), expiresAt);
        }
        finally
        {
            Check(nt_token_free(token), "nt_token_free");
        }
    }

    private static string Text(TextGetter getter, IntPtr token)
    {
        Check(getter(token, out IntPtr pointer, out UIntPtr length), getter.Method.Name);
        return length == UIntPtr.Zero ? "" : Marshal.PtrToStringUTF8(pointer, checked((int)length.ToUInt64()));
    }

    private static void Check(uint result, string function)
    {
        if (result != Ok)
        {
            DiscardLastError();
            throw new InvalidOperationException($"{function} failed with result {result}.");
        }
    }

    private static void DiscardLastError()
    {
        IntPtr error = nt_error_take_last();
        if (error != IntPtr.Zero)
        {
            nt_error_free(error);
        }
    }

    [DllImport(Library)]
    private static extern uint nt_vc_session_token(out IntPtr token);

    [DllImport(Library)]
    private static extern uint nt_armor_session_token(out IntPtr token);

    [DllImport(Library)]
    private static extern uint nt_token_endpoint(IntPtr token, out IntPtr pointer, out UIntPtr length);

    [DllImport(Library)]
    private static extern uint nt_token_jwt(IntPtr token, out IntPtr pointer, out UIntPtr length);

    [DllImport(Library)]
    private static extern uint nt_token_access_token(IntPtr token, out IntPtr pointer, out UIntPtr length);

    [DllImport(Library)]
    private static extern uint nt_token_expires_at_unix_ms(IntPtr token, out long value);

    [DllImport(Library)]
    private static extern uint nt_token_free(IntPtr token);

    [DllImport(Library)]
    private static extern IntPtr nt_error_take_last();

    [DllImport(Library)]
    private static extern uint nt_error_free(IntPtr error);
}
