using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using Realtime.Wire.Events;

namespace Realtime.Host.ClientSecrets;

/// <summary>
/// Short-lived `ek_` keys minted for browsers (so they never see a real API key), each bound to the session
/// configuration it was minted with. Kept in memory: a restart invalidates them, as their short life allows.
/// </summary>
public sealed class ClientSecretStore(TimeProvider time)
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private readonly ConcurrentDictionary<string, MintedSecret> _secrets = new(StringComparer.Ordinal);

    public MintedSecret Mint(JsonElement? session, Dialect dialect, TimeSpan lifetime)
    {
        DateTimeOffset now = time.GetUtcNow();
        foreach (var (key, secret) in _secrets)
        {
            if (secret.ExpiresAt <= now)
            {
                _secrets.TryRemove(key, out _);
            }
        }

        var minted = new MintedSecret(
            "ek_" + new string(RandomNumberGenerator.GetItems<char>(Alphanumerics, 32)),
            now + lifetime,
            session?.Clone(),
            dialect);
        _secrets[minted.Value] = minted;
        return minted;
    }

    /// <summary>The secret for <paramref name="key"/> if it was minted here and has not expired.</summary>
    public bool TryRedeem(string? key, out MintedSecret secret)
    {
        secret = null!;
        if (key is null || !key.StartsWith("ek_", StringComparison.Ordinal) || !_secrets.TryGetValue(key, out MintedSecret? found))
        {
            return false;
        }

        if (found.ExpiresAt <= time.GetUtcNow())
        {
            _secrets.TryRemove(key, out _);
            return false;
        }

        secret = found;
        return true;
    }
}

/// <summary>A minted key, when it expires, and the session configuration (in the dialect it was given in) it starts sessions with.</summary>
public sealed record MintedSecret(string Value, DateTimeOffset ExpiresAt, JsonElement? Session, Dialect Dialect);
