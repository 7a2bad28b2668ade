using Microsoft.AspNetCore.Builder;
using System.Net.WebSockets;
using Realtime.Host.Tests.Connections;

namespace Realtime.Host.Tests.Security;

/// <summary>`Realtime:AllowedOrigins`: browsers from other sites are refused before the upgrade; clients without an Origin are not affected.</summary>
public sealed class OriginTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData("https://app.example.com", true)]
    [InlineData("HTTPS://APP.EXAMPLE.COM", true)]
    [InlineData(null, true)]
    [InlineData("https://evil.example.com", false)]
    [InlineData("http://app.example.com", false)]
    public async Task OnlyListedOriginsMayOpenSessions(string? origin, bool allowed)
    {
        await using TestServer server = await TestServer.StartAsync("http", "--Realtime:AllowedOrigins:0=https://app.example.com");
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }

        if (allowed)
        {
            await socket.ConnectAsync(server.WebSocketUri(), Cancel);
            Assert.Equal(WebSocketState.Open, socket.State);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        }
        else
        {
            await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(server.WebSocketUri(), Cancel));
            Assert.Equal(System.Net.HttpStatusCode.Forbidden, socket.HttpStatusCode);
        }
    }

    [Fact]
    public void AMalformedOriginFailsTheStartWithItsKey()
    {
        var error = Assert.ThrowsAny<Exception>(() =>
        {
            WebApplication app = RealtimeServer.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=None", "--Realtime:AllowedOrigins:0=https://app.example.com/path"]);
            app.StartAsync(Cancel).GetAwaiter().GetResult();
        });
        Assert.Contains("Realtime:AllowedOrigins:0", error.Message, StringComparison.Ordinal);
    }
}
