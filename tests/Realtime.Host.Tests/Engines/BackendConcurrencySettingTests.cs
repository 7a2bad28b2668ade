using Microsoft.AspNetCore.Builder;

namespace Realtime.Host.Tests.Engines;

public sealed class BackendConcurrencySettingTests
{
    [Theory]
    [InlineData("0")]
    [InlineData("-3")]
    [InlineData("many")]
    public void A_bad_value_stops_the_start_naming_the_key(string value)
    {
        var e = Assert.Throws<InvalidOperationException>(() => RealtimeServer.Build(
            ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=None", $"--Realtime:Backends:MaxConcurrency={value}"]));
        Assert.Contains("Realtime:Backends:MaxConcurrency", e.Message, StringComparison.Ordinal);
        Assert.Contains($"'{value}'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_valid_value_starts_the_server()
    {
        await using WebApplication app = RealtimeServer.Build(
            ["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=None", "--Realtime:Backends:MaxConcurrency=64"]);
        await app.StartAsync(TestContext.Current.CancellationToken);
        await app.StopAsync(TestContext.Current.CancellationToken);
    }
}
