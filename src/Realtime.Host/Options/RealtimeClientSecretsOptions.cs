namespace Realtime.Host.Options;

/// <summary>`Realtime:ClientSecrets`: how ephemeral `ek_` keys are signed so that every replica accepts them.</summary>
public sealed class RealtimeClientSecretsOptions
{
    /// <summary>
    /// Base64 HMAC-SHA256 keys (at least 16 bytes each; 32 random bytes recommended). The first signs new secrets,
    /// every one verifies, so a key is rotated by putting the new one first and dropping the old one after the
    /// longest secret lifetime (2 hours). Empty: a random key per process, so secrets do not cross replicas.
    /// </summary>
    public string[] SigningKeys { get; set; } = [];
}
