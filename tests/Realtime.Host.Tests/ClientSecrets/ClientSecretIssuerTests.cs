using System.Buffers.Text;
using System.Text.Json;
using Realtime.Host.ClientSecrets;
using Realtime.Wire.Events;

namespace Realtime.Host.Tests.ClientSecrets;

public sealed class ClientSecretIssuerTests
{
    private static readonly byte[] KeyOne = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
    private static readonly byte[] KeyTwo = [.. Enumerable.Range(101, 32).Select(i => (byte)i)];
    private static readonly JsonElement Session = JsonDocument.Parse("""{"type":"realtime","instructions":"x"}""").RootElement;

    private readonly ManualClock _clock = new(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));

    [Fact]
    public void A_secret_carries_its_configuration_and_dialect_and_expires_on_the_second()
    {
        var issuer = new ClientSecretIssuer([KeyOne], _clock);
        MintedSecret minted = issuer.Mint(Session, Dialect.Beta, TimeSpan.FromSeconds(60));
        Assert.StartsWith("ek_", minted.Value, StringComparison.Ordinal);
        Assert.Equal(_clock.Now.AddSeconds(60), minted.ExpiresAt);

        // A second issuer with the same key is another replica: nothing is shared but the key.
        var replica = new ClientSecretIssuer([KeyOne], _clock);
        Assert.True(replica.TryRedeem(minted.Value, out MintedSecret redeemed));
        Assert.Equal("""{"type":"realtime","instructions":"x"}""", redeemed.Session!.Value.GetRawText());
        Assert.Equal(Dialect.Beta, redeemed.Dialect);
        Assert.Equal(minted.ExpiresAt, redeemed.ExpiresAt);
        Assert.Equal(minted.Id, redeemed.Id);
        Assert.Equal(minted.Value, redeemed.Value);

        _clock.Now += TimeSpan.FromSeconds(59);
        Assert.True(replica.TryRedeem(minted.Value, out _));
        _clock.Now += TimeSpan.FromSeconds(1);
        Assert.False(replica.TryRedeem(minted.Value, out _));
    }

    [Fact]
    public void A_secret_without_configuration_redeems_with_none_and_each_mint_is_distinct()
    {
        var issuer = new ClientSecretIssuer([KeyOne], _clock);
        MintedSecret first = issuer.Mint(null, Dialect.Ga, TimeSpan.FromMinutes(10));
        MintedSecret second = issuer.Mint(null, Dialect.Ga, TimeSpan.FromMinutes(10));
        Assert.NotEqual(first.Value, second.Value);
        Assert.NotEqual(first.Id, second.Id);
        Assert.Matches("^[0-9a-f]{24}$", first.Id);
        Assert.True(issuer.TryRedeem(first.Value, out MintedSecret redeemed));
        Assert.Null(redeemed.Session);
        Assert.Equal(Dialect.Ga, redeemed.Dialect);
    }

    [Fact]
    public void Every_changed_byte_is_refused()
    {
        var issuer = new ClientSecretIssuer([KeyOne], _clock);
        byte[] raw = Decode(issuer.Mint(Session, Dialect.Ga, TimeSpan.FromMinutes(10)).Value);
        for (int i = 0; i < raw.Length; i++)
        {
            byte[] tampered = (byte[])raw.Clone();
            tampered[i] ^= 0x01;
            Assert.False(issuer.TryRedeem(Encode(tampered), out _), $"byte {i} flipped was accepted");
        }
    }

    [Fact]
    public void A_longer_lifetime_or_another_configuration_cannot_be_spliced_in()
    {
        var issuer = new ClientSecretIssuer([KeyOne], _clock);
        byte[] raw = Decode(issuer.Mint(Session, Dialect.Ga, TimeSpan.FromSeconds(10)).Value);
        byte[] later = (byte[])raw.Clone();
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(later.AsSpan(13, 8), _clock.Now.AddHours(10).ToUnixTimeSeconds());
        Assert.False(issuer.TryRedeem(Encode(later), out _));

        // The signature of one secret on another's body.
        byte[] other = Decode(issuer.Mint(JsonDocument.Parse("""{"type":"realtime","instructions":"y"}""").RootElement, Dialect.Ga, TimeSpan.FromSeconds(10)).Value);
        raw.AsSpan(raw.Length - 32).CopyTo(other.AsSpan(other.Length - 32));
        Assert.False(issuer.TryRedeem(Encode(other), out _));
    }

    [Fact]
    public void Truncated_and_malformed_keys_are_refused()
    {
        var issuer = new ClientSecretIssuer([KeyOne], _clock);
        string value = issuer.Mint(Session, Dialect.Ga, TimeSpan.FromMinutes(10)).Value;
        foreach (int cut in new[] { 1, 2, 3, 10, 43, value.Length - 4, value.Length - 3 })
        {
            Assert.False(issuer.TryRedeem(value[..^cut], out _), $"cut {cut}");
        }

        Assert.False(issuer.TryRedeem(value + "A", out _));
        Assert.False(issuer.TryRedeem(value.Replace("ek_", "sk_", StringComparison.Ordinal), out _));
        Assert.False(issuer.TryRedeem(value[..20] + "!" + value[21..], out _));
        Assert.False(issuer.TryRedeem("ek_", out _));
        Assert.False(issuer.TryRedeem(null, out _));
        Assert.False(issuer.TryRedeem("ek_" + new string('A', ClientSecretIssuer.MaxKeyChars), out _));
    }

    [Fact]
    public void A_foreign_key_is_refused_and_rotation_keeps_old_secrets_valid()
    {
        var oldIssuer = new ClientSecretIssuer([KeyOne], _clock);
        var foreign = new ClientSecretIssuer([KeyTwo], _clock);
        string old = oldIssuer.Mint(Session, Dialect.Ga, TimeSpan.FromMinutes(10)).Value;
        Assert.False(foreign.TryRedeem(old, out _));

        // Rotation: the new key first (it signs), the old one still verifies.
        var rotated = new ClientSecretIssuer([KeyTwo, KeyOne], _clock);
        Assert.True(rotated.TryRedeem(old, out _));
        string fresh = rotated.Mint(Session, Dialect.Ga, TimeSpan.FromMinutes(10)).Value;
        Assert.True(foreign.TryRedeem(fresh, out _));
        Assert.False(oldIssuer.TryRedeem(fresh, out _));
    }

    [Theory]
    [InlineData("not base64!")]
    [InlineData("c2hvcnQ=")]
    [InlineData(" ")]
    public void Bad_signing_keys_do_not_decode(string key) => Assert.Null(ClientSecretIssuer.DecodeKey(key));

    [Fact]
    public void A_base64_key_of_sixteen_bytes_or_more_decodes() =>
        Assert.Equal(KeyOne, ClientSecretIssuer.DecodeKey(Convert.ToBase64String(KeyOne)));

    private static byte[] Decode(string value) => Base64Url.DecodeFromChars(value.AsSpan(3));

    private static string Encode(byte[] raw) => "ek_" + Base64Url.EncodeToString(raw);

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
