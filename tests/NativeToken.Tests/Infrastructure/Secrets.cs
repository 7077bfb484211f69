using System.Security.Cryptography;
using System.Text;
using Xunit;

namespace NativeToken.Tests.Infrastructure;

/// <summary>Test JWTs and Armor codes, and the checks that none of them leaks into visible or logged text.</summary>
public static class Secrets
{
    /// <summary>
    /// A JWT the emulator accepts (it reads alg, exp and sub; the signature is random bytes and
    /// is not verified). Each one is unique, so it can be searched for in messages.
    /// </summary>
    public static string Jwt(TimeSpan? validFor = null, string subject = "svc-nativetoken-tests") =>
        JwtExpiringAt(DateTimeOffset.UtcNow + (validFor ?? TimeSpan.FromHours(1)), subject);

    /// <summary>A unique JWT whose exp is <paramref name="expires"/> (whole seconds).</summary>
    public static string JwtExpiringAt(DateTimeOffset expires, string subject = "svc-nativetoken-tests")
    {
        long now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        long exp = expires.ToUnixTimeSeconds();
        string header = Base64Url(Encoding.UTF8.GetBytes("{\"alg\":\"RS256\",\"typ\":\"JWT\"}"));
        string payload = Base64Url(Encoding.UTF8.GetBytes(
            $"{{\"sub\":\"{subject}\",\"iss\":\"{subject}\",\"iat\":{now},\"exp\":{exp},\"jti\":\"{Guid.NewGuid():N}\"}}"));
        return $"{header}.{payload}.{Base64Url(RandomNumberGenerator.GetBytes(64))}";
    }

    /// <summary>A JWT of three base64url parts whose header and payload are the given texts.</summary>
    public static string JwtOfParts(string header, string payload) =>
        $"{Base64Url(Encoding.UTF8.GetBytes(header))}.{Base64Url(Encoding.UTF8.GetBytes(payload))}.{Base64Url(RandomNumberGenerator.GetBytes(64))}";

    /// <summary>A JWT whose exp is an hour ago.</summary>
    public static string ExpiredJwt() => Jwt(TimeSpan.FromHours(-1));

    /// <summary>An Armor temporary code: base64 of 32 bytes, with '+', '/' and '=' in it.</summary>
    public static string ArmorCode()
    {
        while (true)
        {
            string code = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            if (code.Contains('+') && code.Contains('/'))
            {
                return code;
            }
        }
    }

    /// <summary>
    /// The parts of a secret worth searching for: the whole value, as given and percent-encoded
    /// (as it would appear in a URL or a form body), and, for a JWT, each part.
    /// </summary>
    public static IEnumerable<string> Fragments(string secret)
    {
        yield return secret;
        string encoded = Uri.EscapeDataString(secret);
        if (encoded != secret)
        {
            yield return encoded;
        }
        foreach (string part in secret.Split('.'))
        {
            if (part.Length >= 16)
            {
                yield return part;
            }
        }
    }

    /// <summary>Fails when any secret (or a long part of one) appears in the result's visible text.</summary>
    public static void AssertNotLeaked(PsResult result, params string[] secrets) => AssertNotIn(result.VisibleText(), secrets);

    /// <summary>Fails when any secret (or a long part of one) appears in the emulator's log, stderr or file.</summary>
    public static void AssertNotLogged(Emulator emulator, params string[] secrets) => AssertNotIn(emulator.AllLogText(), secrets);

    private static void AssertNotIn(IEnumerable<string> visible, string[] secrets)
    {
        var texts = visible.ToList();
        foreach (string secret in secrets.Where(s => !string.IsNullOrEmpty(s)))
        {
            foreach (string fragment in Fragments(secret))
            {
                foreach (string text in texts)
                {
                    Assert.False(text.Contains(fragment, StringComparison.Ordinal), $"A secret leaked into visible or logged text: {Redact(text, fragment)}");
                }
            }
        }
    }

    private static string Redact(string text, string fragment) => text.Replace(fragment, "<SECRET>", StringComparison.Ordinal);

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
