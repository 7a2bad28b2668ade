using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text.Json;
using Realtime.Host.Options;
using Realtime.Wire.Events;

namespace Realtime.Host.ClientSecrets;

/// <summary>
/// Short-lived `ek_` keys minted for browsers (so they never see a real API key), each bound to the session
/// configuration it was minted with. Stateless: the key is the configuration and its expiry, signed with
/// HMAC-SHA256, so any replica holding the same signing key accepts it and no store is shared between them.
/// </summary>
/// <remarks>
/// Layout after `ek_` (base64url, no padding): version (1 byte), nonce (12), expiry in Unix seconds (8, big endian),
/// flags (1: dialect in the low bits, <see cref="HasSessionFlag"/>), the session configuration as UTF-8 JSON (rest),
/// then the HMAC-SHA256 of everything before it (32). The configuration is signed, not encrypted: it is the
/// client's own configuration, which the browser holding the key may see.
/// </remarks>
public sealed class ClientSecretIssuer
{
    /// <summary>The shortest signing key accepted (HMAC keys shorter than this are guessable).</summary>
    public const int MinKeyBytes = 16;

    /// <summary>
    /// The longest key minted: it travels in a handshake header, whose default limit is 16 KiB
    /// (`Realtime:Limits:MaxHandshakeHeaderBytes`), beside the other headers.
    /// </summary>
    public const int MaxKeyChars = 8 * 1024;

    private const string Prefix = "ek_";
    private const byte Version = 1;
    private const int NonceBytes = 12;
    private const int ExpiryOffset = 1 + NonceBytes;
    private const int FlagsOffset = ExpiryOffset + sizeof(long);
    private const int HeaderBytes = FlagsOffset + 1;
    private const int MacBytes = 32;
    private const byte HasSessionFlag = 0x80;

    private readonly byte[][] _keys;
    private readonly TimeProvider _time;

    /// <summary>Signs with <paramref name="keys"/>[0]; verifies with every one of them.</summary>
    public ClientSecretIssuer(IReadOnlyList<byte[]> keys, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfZero(keys.Count);
        _keys = [.. keys];
        _time = time;
    }

    /// <summary>True when the keys were generated for this process (secrets minted here are unknown to other replicas).</summary>
    public bool IsProcessLocal { get; private init; }

    /// <summary>From `Realtime:ClientSecrets` (already validated); without keys, a random one and a warning saying what it means.</summary>
    public static ClientSecretIssuer FromOptions(RealtimeClientSecretsOptions options, TimeProvider time, ILogger logger)
    {
        if (options.SigningKeys.Length == 0)
        {
            logger.LogWarning("Realtime:ClientSecrets:SigningKeys is not set: client secrets are signed with a random key of this process, so a secret minted here is refused by other replicas and after a restart. Set the same key on every replica to scale out.");
            return new ClientSecretIssuer([RandomNumberGenerator.GetBytes(32)], time) { IsProcessLocal = true };
        }

        var keys = new byte[options.SigningKeys.Length][];
        for (int i = 0; i < keys.Length; i++)
        {
            keys[i] = DecodeKey(options.SigningKeys[i]) ?? throw new InvalidOperationException($"Realtime:ClientSecrets:SigningKeys:{i} is not a valid signing key.");
        }

        return new ClientSecretIssuer(keys, time);
    }

    /// <summary>The key bytes of a configured base64 signing key, or null when it is not base64 or too short.</summary>
    public static byte[]? DecodeKey(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        byte[] buffer = new byte[text.Length * 3 / 4 + 3];
        return Convert.TryFromBase64String(text.Trim(), buffer, out int written) && written >= MinKeyBytes ? buffer[..written] : null;
    }

    /// <summary>A signed key that starts sessions with <paramref name="session"/> (in <paramref name="dialect"/>) until it expires.</summary>
    public MintedSecret Mint(JsonElement? session, Dialect dialect, TimeSpan lifetime)
    {
        // Whole seconds: the expiry travels (and is reported as `expires_at`) in Unix seconds.
        DateTimeOffset expiresAt = DateTimeOffset.FromUnixTimeSeconds(_time.GetUtcNow().ToUnixTimeSeconds() + (long)lifetime.TotalSeconds);
        var payload = new ArrayBufferWriter<byte>(256);
        Span<byte> header = payload.GetSpan(HeaderBytes)[..HeaderBytes];
        header[0] = Version;
        RandomNumberGenerator.Fill(header.Slice(1, NonceBytes));
        BinaryPrimitives.WriteInt64BigEndian(header.Slice(ExpiryOffset, sizeof(long)), expiresAt.ToUnixTimeSeconds());
        header[FlagsOffset] = (byte)((byte)dialect | (session is null ? 0 : HasSessionFlag));
        string id = Convert.ToHexStringLower(header.Slice(1, NonceBytes));
        payload.Advance(HeaderBytes);
        if (session is { } given)
        {
            using var writer = new Utf8JsonWriter(payload);
            given.WriteTo(writer);
        }

        Span<byte> mac = payload.GetSpan(MacBytes)[..MacBytes];
        HMACSHA256.HashData(_keys[0], payload.WrittenSpan, mac);
        payload.Advance(MacBytes);
        return new MintedSecret(Prefix + Base64Url.EncodeToString(payload.WrittenSpan), expiresAt, session?.Clone(), dialect, id);
    }

    /// <summary>
    /// The secret <paramref name="key"/> stands for, if it is an `ek_` key signed with one of the keys here (compared
    /// in constant time) that has not expired. Tampered, truncated, foreign and expired keys all answer false.
    /// </summary>
    public bool TryRedeem(string? key, out MintedSecret secret)
    {
        secret = null!;
        if (key is null || !key.StartsWith(Prefix, StringComparison.Ordinal) || key.Length > MaxKeyChars)
        {
            return false;
        }

        ReadOnlySpan<char> encoded = key.AsSpan(Prefix.Length);
        byte[] raw = new byte[Base64Url.GetMaxDecodedLength(encoded.Length)];
        if (Base64Url.DecodeFromChars(encoded, raw, out _, out int length) != OperationStatus.Done || length < HeaderBytes + MacBytes)
        {
            return false;
        }

        ReadOnlySpan<byte> payload = raw.AsSpan(0, length - MacBytes);
        ReadOnlySpan<byte> mac = raw.AsSpan(length - MacBytes, MacBytes);
        Span<byte> expected = stackalloc byte[MacBytes];
        bool signed = false;
        foreach (byte[] signingKey in _keys)
        {
            HMACSHA256.HashData(signingKey, payload, expected);
            // Every key is tried, matched or not, so the time taken says nothing about which one (or how much) matched.
            signed |= CryptographicOperations.FixedTimeEquals(expected, mac);
        }

        if (!signed || payload[0] != Version)
        {
            return false;
        }

        var expiresAt = DateTimeOffset.FromUnixTimeSeconds(BinaryPrimitives.ReadInt64BigEndian(payload.Slice(ExpiryOffset, sizeof(long))));
        byte flags = payload[FlagsOffset];
        var dialect = (Dialect)(flags & ~HasSessionFlag);
        if (expiresAt <= _time.GetUtcNow() || !Enum.IsDefined(dialect))
        {
            return false;
        }

        JsonElement? session = null;
        if ((flags & HasSessionFlag) != 0)
        {
            // Signed by us, so well-formed; parsed only after the signature checked out.
            var reader = new Utf8JsonReader(payload[HeaderBytes..]);
            session = JsonElement.ParseValue(ref reader);
        }

        secret = new MintedSecret(key, expiresAt, session, dialect, Convert.ToHexStringLower(payload.Slice(1, NonceBytes)));
        return true;
    }
}

/// <summary>
/// A minted key, when it expires, the session configuration (in the dialect it was given in) it starts sessions
/// with, and an id unique to it (from its nonce) for the beta endpoint's `sess_` id.
/// </summary>
public sealed record MintedSecret(string Value, DateTimeOffset ExpiresAt, JsonElement? Session, Dialect Dialect, string Id);
