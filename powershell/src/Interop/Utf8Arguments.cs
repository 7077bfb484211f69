using System;
using System.Runtime.InteropServices;
using System.Security;

namespace NativeToken.Interop
{
    /// <summary>
    /// The string arguments of a native call as UTF-8: encoded into one buffer (on the stack up
    /// to <see cref="StackBytes"/>, else in unmanaged memory), handed to the call, then wiped and
    /// freed, whatever the call did. Every string argument of the module's native calls goes
    /// through here: URLs (a proxy URL may hold a password), JWTs, codes and access tokens.
    /// A SecureString argument is decrypted only into unmanaged memory that is wiped too.
    /// </summary>
    internal static unsafe class Utf8Arguments
    {
        /// <summary>Arguments up to this many bytes together are encoded on the stack.</summary>
        internal const int StackBytes = 4096;

        /// <summary>One argument as the ABI takes it: a pointer and a length in bytes (not NUL-terminated).</summary>
        internal readonly struct Utf8
        {
            internal readonly byte* Bytes;
            internal readonly UIntPtr Length;

            internal Utf8(byte* bytes, int length)
            {
                Bytes = bytes;
                Length = (UIntPtr)(uint)length;
            }
        }

        /// <summary>The native call, with the encoded arguments and the caller's state.</summary>
        internal delegate NativeResult Call<TState>(ref TState state, Utf8 first, Utf8 second);

        /// <summary>
        /// Runs <paramref name="call"/> with <paramref name="first"/> and the second argument
        /// (<paramref name="second"/>, or <paramref name="secureSecond"/> when given) as UTF-8.
        /// A null argument is passed as an empty one.
        /// </summary>
        internal static NativeResult Pass<TState>(string? first, string? second, SecureString? secureSecond, ref TState state, Call<TState> call)
        {
            IntPtr unprotected = IntPtr.Zero;
            try
            {
                fixed (char* firstChars = first)
                fixed (char* textChars = second)
                {
                    char* secondChars = textChars;
                    int secondCount = second?.Length ?? 0;
                    if (secureSecond != null)
                    {
                        unprotected = Marshal.SecureStringToGlobalAllocUnicode(secureSecond);
                        secondChars = (char*)unprotected;
                        secondCount = secureSecond.Length;
                    }
                    int firstCount = first?.Length ?? 0;
                    int firstLength = firstCount == 0 ? 0 : NativeText.Utf8.GetByteCount(firstChars, firstCount);
                    int secondLength = secondCount == 0 ? 0 : NativeText.Utf8.GetByteCount(secondChars, secondCount);
                    int total = firstLength + secondLength + 1;
                    byte* heap = null;
                    byte* stack = stackalloc byte[total <= StackBytes ? total : 0];
                    byte* buffer = total <= StackBytes ? stack : (heap = (byte*)Marshal.AllocHGlobal(total));
                    try
                    {
                        if (firstLength != 0)
                        {
                            NativeText.Utf8.GetBytes(firstChars, firstCount, buffer, firstLength);
                        }
                        if (secondLength != 0)
                        {
                            NativeText.Utf8.GetBytes(secondChars, secondCount, buffer + firstLength, secondLength);
                        }
                        return call(ref state, new Utf8(buffer, firstLength), new Utf8(buffer + firstLength, secondLength));
                    }
                    finally
                    {
                        NativeText.Zero(buffer, total);
                        if (heap != null)
                        {
                            Marshal.FreeHGlobal((IntPtr)heap);
                        }
                    }
                }
            }
            finally
            {
                if (unprotected != IntPtr.Zero)
                {
                    Marshal.ZeroFreeGlobalAllocUnicode(unprotected);
                }
            }
        }
    }
}
