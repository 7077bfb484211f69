using System;

namespace NativeToken
{
    /// <summary>
    /// The Uri of the URL a call goes to (the proxy decision needs one), kept for the last text
    /// seen: scripts call the same endpoint over and over. Thread-safe (immutable entries).
    /// </summary>
    internal sealed class TargetCache
    {
        private sealed class Entry
        {
            internal readonly string Text;
            internal readonly Uri? Uri;

            internal Entry(string text, Uri? uri)
            {
                Text = text;
                Uri = uri;
            }
        }

        private readonly string _suffix;
        private volatile Entry? _last;

        /// <summary>TLSPC endpoints, as given.</summary>
        internal static readonly TargetCache Endpoints = new TargetCache("");

        /// <summary>Armor base URLs; the call goes to &lt;base&gt;/auth/token.</summary>
        internal static readonly TargetCache ArmorBases = new TargetCache("/auth/token");

        private TargetCache(string suffix) => _suffix = suffix;

        /// <summary>The Uri of <paramref name="text"/> + suffix; null when it is not an absolute URL.</summary>
        internal Uri? Get(string text)
        {
            Entry? last = _last;
            if (last != null && string.Equals(last.Text, text, StringComparison.Ordinal))
            {
                return last.Uri;
            }
            Uri.TryCreate(_suffix.Length == 0 ? text : text + _suffix, UriKind.Absolute, out Uri? uri);
            _last = new Entry(text, uri);
            return uri;
        }
    }
}
