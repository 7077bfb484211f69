using System;
using System.Globalization;
using System.Net;
using System.Reflection;
using NativeToken.Interop;

namespace NativeToken
{
    /// <summary>
    /// Which proxy a call to a URL goes through, by the rules .NET's HttpClient applies: the
    /// proxy environment variables as .NET's HttpEnvironmentProxy reads them, else the process's
    /// default proxy (as Invoke-RestMethod does). The native library takes the result as one
    /// proxy URL; it reads no environment variables itself.
    /// </summary>
    internal static class ProxyRules
    {
        /// <summary>
        /// The proxy URL (http://[user:password@]host:port) for a request to
        /// <paramref name="target"/>, or null for a direct connection. Environment variables
        /// first, with .NET's HttpEnvironmentProxy precedence (on Unix lower case before upper
        /// case; protocol-specific before ALL_PROXY; HTTP_PROXY ignored under CGI; NO_PROXY
        /// entries match the host, ".example.com" the domain and its subdomains); with none set,
        /// the process's default proxy (HttpClient.DefaultProxy on .NET, WebRequest.DefaultWebProxy
        /// on .NET Framework).
        /// </summary>
        internal static string? Proxy(Uri target, out string? source)
        {
            bool unix = !Runtime.IsWindows;
            string? httpSource = null;
            string? httpsSource = null;
            Uri? httpProxy = null;
            Uri? httpsProxy = null;

            if (unix)
            {
                httpProxy = ProxyVariable("http_proxy", ref httpSource);
            }
            if (httpProxy == null && Environment.GetEnvironmentVariable("GATEWAY_INTERFACE") == null)
            {
                httpProxy = ProxyVariable("HTTP_PROXY", ref httpSource);
            }
            if (unix)
            {
                httpsProxy = ProxyVariable("https_proxy", ref httpsSource);
            }
            if (httpsProxy == null)
            {
                httpsProxy = ProxyVariable("HTTPS_PROXY", ref httpsSource);
            }
            if (httpProxy == null || httpsProxy == null)
            {
                string? allSource = null;
                Uri? allProxy = unix ? ProxyVariable("all_proxy", ref allSource) : null;
                if (allProxy == null)
                {
                    allProxy = ProxyVariable("ALL_PROXY", ref allSource);
                }
                if (httpProxy == null)
                {
                    httpProxy = allProxy;
                    httpSource = allSource;
                }
                if (httpsProxy == null)
                {
                    httpsProxy = allProxy;
                    httpsSource = allSource;
                }
            }

            if (httpProxy == null && httpsProxy == null)
            {
                return DefaultProxy(target, out source);
            }

            bool plain = string.Equals(target.Scheme, "http", StringComparison.OrdinalIgnoreCase) ||
                         string.Equals(target.Scheme, "ws", StringComparison.OrdinalIgnoreCase);
            Uri? proxy = plain ? httpProxy : httpsProxy;
            source = plain ? httpSource : httpsSource;
            if (proxy == null)
            {
                source = null;
                return null;
            }
            string? noProxy = (unix ? Environment.GetEnvironmentVariable("no_proxy") : null) ?? Environment.GetEnvironmentVariable("NO_PROXY");
            if (noProxy != null && Bypassed(noProxy, target.Host))
            {
                source = null;
                return null;
            }
            return ProxyUrl(proxy, null);
        }

        private static Uri? ProxyVariable(string name, ref string? source)
        {
            Uri? uri = ParseProxy(Environment.GetEnvironmentVariable(name));
            if (uri != null)
            {
                source = name;
            }
            return uri;
        }

        /// <summary>
        /// A proxy variable's value as .NET reads it: "[http://][user[:password]@]host[:port]"
        /// (anything after the port's digits ignored; user and password may be percent-encoded);
        /// null when empty or unusable. An "https://" value keeps its scheme: the native library
        /// refuses a proxy reached over TLS with an error that names the variable and says to
        /// write http://, where dropping the variable would send the call elsewhere unnoticed.
        /// </summary>
        private static Uri? ParseProxy(string? value)
        {
            if (string.IsNullOrEmpty(value))
            {
                return null;
            }
            string rest = value!;
            string scheme = "http";
            if (rest.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
            {
                rest = rest.Substring(7);
            }
            else if (rest.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            {
                scheme = "https";
                rest = rest.Substring(8);
            }

            string? user = null;
            string? password = null;
            int at = rest.LastIndexOf('@');
            if (at >= 0)
            {
                string credentials = rest.Substring(0, at);
                try
                {
                    credentials = Uri.UnescapeDataString(credentials);
                }
                catch (UriFormatException)
                {
                    // Not percent-encoded after all: use it as written.
                }
                rest = rest.Substring(at + 1);
                int colon = credentials.IndexOf(':');
                if (colon < 0)
                {
                    user = credentials;
                }
                else
                {
                    user = credentials.Substring(0, colon);
                    password = credentials.Substring(colon + 1);
                }
            }

            string host;
            int port = scheme == "https" ? 443 : 80;
            int bracket = rest.IndexOf(']');
            int separator = rest.LastIndexOf(':');
            if (separator < 0 || (bracket >= 0 && separator < bracket))
            {
                host = rest;
            }
            else
            {
                host = rest.Substring(0, separator);
                int end = separator + 1;
                while (end < rest.Length && char.IsDigit(rest[end]))
                {
                    end++;
                }
                if (!ushort.TryParse(rest.Substring(separator + 1, end - separator - 1), NumberStyles.None, CultureInfo.InvariantCulture, out ushort parsed))
                {
                    return null;
                }
                port = parsed;
            }

            try
            {
                var builder = new UriBuilder(scheme, host, port);
                if (user != null)
                {
                    builder.UserName = Uri.EscapeDataString(user);
                }
                if (password != null)
                {
                    builder.Password = Uri.EscapeDataString(password);
                }
                return builder.Uri;
            }
            catch (Exception e) when (e is UriFormatException || e is ArgumentException)
            {
                return null;
            }
        }

        /// <summary>NO_PROXY: comma-separated host names; ".example.com" also matches example.com and its subdomains.</summary>
        private static bool Bypassed(string noProxy, string host)
        {
            foreach (string raw in noProxy.Split(','))
            {
                string entry = raw.Trim();
                if (entry.Length == 0)
                {
                    continue;
                }
                if (entry[0] == '.')
                {
                    if ((entry.Length - 1 == host.Length && string.Compare(entry, 1, host, 0, host.Length, StringComparison.OrdinalIgnoreCase) == 0) ||
                        host.EndsWith(entry, StringComparison.OrdinalIgnoreCase))
                    {
                        return true;
                    }
                }
                else if (string.Equals(entry, host, StringComparison.OrdinalIgnoreCase))
                {
                    return true;
                }
            }
            return false;
        }

        private const string DefaultProxySource = "[System.Net.Http.HttpClient]::DefaultProxy";
        private const string DefaultWebProxySource = "[System.Net.WebRequest]::DefaultWebProxy";

        // HttpClient.DefaultProxy's getter as a delegate (.NET Core 3+; not in netstandard2.0);
        // null on .NET Framework.
        private static readonly Func<IWebProxy?>? GetDefaultProxy = CreateDefaultProxyGetter();

        private static Func<IWebProxy?>? CreateDefaultProxyGetter()
        {
            if (Runtime.IsNetFramework)
            {
                return null;
            }
            MethodInfo? getter = typeof(System.Net.Http.HttpClient)
                .GetProperty("DefaultProxy", BindingFlags.Public | BindingFlags.Static)?.GetGetMethod();
            return getter == null ? null : (Func<IWebProxy?>)Delegate.CreateDelegate(typeof(Func<IWebProxy?>), getter);
        }

        /// <summary>The process's default proxy for the URL, as Invoke-RestMethod would use it.</summary>
        private static string? DefaultProxy(Uri target, out string? source)
        {
            source = null;
            IWebProxy? proxy;
            if (GetDefaultProxy != null)
            {
                proxy = GetDefaultProxy();
                source = DefaultProxySource;
            }
            else
            {
                proxy = WebRequest.DefaultWebProxy;
                source = DefaultWebProxySource;
            }
            if (proxy == null || proxy.IsBypassed(target))
            {
                source = null;
                return null;
            }
            Uri? address = proxy.GetProxy(target);
            if (address == null || address.Equals(target))
            {
                source = null;
                return null;
            }
            NetworkCredential? credential = address.UserInfo.Length == 0 ? proxy.Credentials?.GetCredential(address, "Basic") : null;
            return ProxyUrl(address, credential);
        }

        /// <summary>scheme://[user:password@]host:port, the form nt_config_builder_set_proxy takes.</summary>
        private static string ProxyUrl(Uri proxy, NetworkCredential? credential)
        {
            string userInfo = proxy.UserInfo;
            if (userInfo.Length == 0 && credential != null && !string.IsNullOrEmpty(credential.UserName))
            {
                userInfo = Uri.EscapeDataString(credential.UserName) + ":" + Uri.EscapeDataString(credential.Password ?? "");
            }
            return proxy.Scheme + "://" + (userInfo.Length == 0 ? "" : userInfo + "@") + proxy.Host + ":" +
                   proxy.Port.ToString(CultureInfo.InvariantCulture);
        }
    }
}
