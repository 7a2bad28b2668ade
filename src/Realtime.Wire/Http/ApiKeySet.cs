using System.Security.Cryptography;
using System.Text;

namespace Realtime.Wire.Http;

/// <summary>
/// The accepted API keys, held as SHA-256 digests and compared in constant time (digests also hide the
/// length of the configured keys). Empty means authentication is off.
/// </summary>
public sealed class ApiKeySet
{
    private readonly byte[][] _digests;

    /// <summary>Creates the set from the configured keys.</summary>
    public ApiKeySet(IEnumerable<string> keys)
    {
        _digests = [.. keys.Where(k => !string.IsNullOrEmpty(k)).Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k)))];
    }

    /// <summary>Whether no key is configured (every client is accepted).</summary>
    public bool IsOpen => _digests.Length == 0;

    /// <summary>Whether <paramref name="key"/> is one of the configured keys; every key is compared, no early exit.</summary>
    public bool Contains(string key)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), digest);
        bool found = false;
        foreach (byte[] candidate in _digests)
        {
            found |= CryptographicOperations.FixedTimeEquals(candidate, digest);
        }

        return found;
    }
}
