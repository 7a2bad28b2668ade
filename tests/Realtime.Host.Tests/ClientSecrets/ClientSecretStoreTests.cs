using System.Text.Json;
using Realtime.Host.ClientSecrets;
using Realtime.Wire.Events;

namespace Realtime.Host.Tests.ClientSecrets;

public sealed class ClientSecretStoreTests
{
    [Fact]
    public void SecretsExpireAndAreBoundToTheirConfiguration()
    {
        var clock = new ManualClock(DateTimeOffset.Parse("2026-11-24T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var store = new ClientSecretStore(clock);
        JsonElement session = JsonDocument.Parse("""{"type":"realtime","instructions":"x"}""").RootElement;
        MintedSecret minted = store.Mint(session, Dialect.Ga, TimeSpan.FromSeconds(60));

        Assert.True(store.TryRedeem(minted.Value, out MintedSecret redeemed));
        Assert.Equal("x", redeemed.Session!.Value.GetProperty("instructions").GetString());
        Assert.False(store.TryRedeem("sk-not-ephemeral", out _));
        Assert.False(store.TryRedeem(minted.Value + "x", out _));

        clock.Now += TimeSpan.FromSeconds(59);
        Assert.True(store.TryRedeem(minted.Value, out _));
        clock.Now += TimeSpan.FromSeconds(1);
        Assert.False(store.TryRedeem(minted.Value, out _));
    }

    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
