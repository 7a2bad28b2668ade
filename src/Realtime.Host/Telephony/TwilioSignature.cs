using System.Security.Cryptography;
using System.Text;

namespace Realtime.Host.Telephony;

/// <summary>
/// Twilio's request signature: base64 of HMAC-SHA1, keyed with the account's auth token, over the full URL Twilio
/// requested followed by every POST parameter as name then value, sorted by name (ordinal).
/// </summary>
internal static class TwilioSignature
{
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "Twilio defines the signature as HMAC-SHA1.")]
    public static string Compute(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters)
    {
        var text = new StringBuilder(url);
        foreach (KeyValuePair<string, string> parameter in parameters.OrderBy(p => p.Key, StringComparer.Ordinal).ThenBy(p => p.Value, StringComparer.Ordinal))
        {
            text.Append(parameter.Key).Append(parameter.Value);
        }

        byte[] mac = HMACSHA1.HashData(Encoding.UTF8.GetBytes(authToken), Encoding.UTF8.GetBytes(text.ToString()));
        return Convert.ToBase64String(mac);
    }

    /// <summary>Whether <paramref name="signature"/> is the one for this request (compared in constant time).</summary>
    public static bool IsValid(string authToken, string url, IEnumerable<KeyValuePair<string, string>> parameters, string? signature)
    {
        if (string.IsNullOrEmpty(signature))
        {
            return false;
        }

        byte[] expected = Encoding.ASCII.GetBytes(Compute(authToken, url, parameters));
        byte[] given = Encoding.ASCII.GetBytes(signature.Trim());
        return CryptographicOperations.FixedTimeEquals(expected, given);
    }
}
