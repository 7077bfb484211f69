using System;
using System.Runtime.InteropServices;
using System.Security;
using System.Text;
using System.Threading;

namespace NativeToken.Interop
{
    /// <summary>
    /// UTF-8 from the ABI: decoding borrowed native strings, and building SecureStrings from
    /// secrets without a managed string in between (inputs are encoded by Utf8Arguments).
    /// Encoding.UTF8 works on .NET Framework too (Marshal.PtrToStringUTF8 does not exist there).
    /// </summary>
    internal static unsafe class NativeText
    {
        /// <summary>UTF-8 without BOM; invalid sequences become U+FFFD (never throws).</summary>
        internal static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

        /// <summary>Secrets up to this many chars are decoded on the stack; longer ones in unmanaged memory.</summary>
        internal const int StackChars = 2048;

        /// <summary>A static NUL-terminated string (nt_version).</summary>
        internal static string FromCString(byte* text)
        {
            if (text == null)
            {
                return "";
            }
            int length = 0;
            while (text[length] != 0)
            {
                length++;
            }
            return Utf8.GetString(text, length);
        }

        /// <summary>A borrowed (pointer, length) string; "" for none.</summary>
        internal static string Decode(byte* text, UIntPtr length)
        {
            int count = checked((int)length.ToUInt64());
            return count == 0 || text == null ? "" : Utf8.GetString(text, count);
        }

        /// <summary>
        /// A SecureString of borrowed UTF-8 bytes (an access token): decoded into a char buffer
        /// that is zeroed right after, so no managed string ever holds the secret.
        /// </summary>
        internal static SecureString ToSecureString(byte* text, UIntPtr length)
        {
            int count = checked((int)length.ToUInt64());
            if (count == 0 || text == null)
            {
                return new SecureString();
            }
            int chars = Utf8.GetCharCount(text, count);
            char* heap = null;
            char* stack = stackalloc char[chars <= StackChars ? chars : 0];
            char* buffer = chars <= StackChars ? stack : (heap = (char*)Marshal.AllocHGlobal(chars * sizeof(char)));
            try
            {
                Utf8.GetChars(text, count, buffer, chars);
                return new SecureString(buffer, chars);
            }
            finally
            {
                Zero((byte*)buffer, chars * sizeof(char));
                if (heap != null)
                {
                    Marshal.FreeHGlobal((IntPtr)heap);
                }
            }
        }

        /// <summary>A SecureString with the chars of a string (the -Jwt argument), without copies.</summary>
        internal static SecureString ToSecureString(string text)
        {
            if (text.Length == 0)
            {
                return new SecureString();
            }
            fixed (char* chars = text)
            {
                return new SecureString(chars, text.Length);
            }
        }

        /// <summary>Overwrites memory that held a secret (not elided: the stores go through a pointer the JIT cannot see die).</summary>
        internal static void Zero(byte* memory, int length)
        {
            long* words = (long*)memory;
            int count = length / sizeof(long);
            for (int i = 0; i < count; i++)
            {
                Volatile.Write(ref words[i], 0L);
            }
            for (int i = count * sizeof(long); i < length; i++)
            {
                Volatile.Write(ref memory[i], (byte)0);
            }
        }
    }
}
