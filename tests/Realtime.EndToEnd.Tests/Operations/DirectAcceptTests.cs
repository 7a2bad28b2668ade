using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Realtime.EndToEnd.Tests.Faults;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>
/// Realtime upgrades on a plaintext endpoint are served by the listener's own accept loop (counted in
/// realtime.connections.open); everything else on that port, and everything on a TLS port, is Kestrel's (counted in
/// kestrel.active_connections). A plaintext upgrade sent to the TLS port must meet TLS, never a 101.
/// </summary>
public sealed class DirectAcceptTests : IAsyncDisposable
{
    private readonly string _certDir = Directory.CreateTempSubdirectory("realtime-direct-").FullName;
    private WebApplication? _app;

    [Fact]
    public async Task Plaintext_upgrades_are_served_from_the_accept_and_the_rest_by_Kestrel()
    {
        using var connections = new ServerConnections();
        (Uri http, Uri https) = await StartAsync();

        await using RawRealtimeClient plain = await RawRealtimeClient.ConnectAsync(http, "any", "model=gpt-realtime");
        await plain.ReadUntilEventAsync("session.created");
        Assert.Equal(1, connections.DirectOn(http.Port));
        Assert.Equal(0, connections.KestrelOn(http.Port));

        // An HTTP request on the same port goes to Kestrel's pipeline, its bytes unread by the peek.
        using (var client = new HttpClient())
        {
            using HttpResponseMessage health = await client.GetAsync(new Uri(http, "/healthz"), TestContext.Current.CancellationToken);
            Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
            Assert.Equal(1, connections.KestrelOn(http.Port));
        }

        // The TLS port: the upgrade is answered after TLS, by Kestrel's connection middleware.
        using (SslStream tls = await ConnectTlsAsync(https))
        {
            await tls.WriteAsync(UpgradeRequest(https), TestContext.Current.CancellationToken);
            Assert.StartsWith("HTTP/1.1 101", await ReadStatusLineAsync(tls), StringComparison.Ordinal);
            Assert.Equal(1, connections.KestrelOn(https.Port));
            Assert.Equal(0, connections.DirectOn(https.Port));
        }

        // A plaintext upgrade sent to the TLS port is not a TLS hello: no 101, and nothing served in the clear.
        using (var raw = new TcpClient())
        {
            await raw.ConnectAsync(https.Host, https.Port, TestContext.Current.CancellationToken);
            NetworkStream stream = raw.GetStream();
            await stream.WriteAsync(UpgradeRequest(https), TestContext.Current.CancellationToken);
            string answer = await ReadStatusLineAsync(stream);
            Assert.DoesNotContain("101", answer, StringComparison.Ordinal);
            Assert.Equal(0, connections.DirectOn(https.Port));
        }

        await plain.DisposeAsync();
        Assert.True(await Turns.EventuallyAsync(() => connections.DirectOn(http.Port) == 0), "the direct connection was never released");
    }

    [Fact]
    public async Task With_DirectAccept_off_every_connection_is_Kestrels()
    {
        using var connections = new ServerConnections();
        (Uri http, _) = await StartAsync("--Realtime:WebSocket:DirectAccept=false");

        await using RawRealtimeClient plain = await RawRealtimeClient.ConnectAsync(http, "any", "model=gpt-realtime");
        await plain.ReadUntilEventAsync("session.created");
        Assert.Equal(0, connections.DirectOn(http.Port));
        Assert.Equal(1, connections.KestrelOn(http.Port));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Directory.Delete(_certDir, recursive: true);
    }

    private async Task<(Uri Http, Uri Https)> StartAsync(params string[] settings)
    {
        (_app, Uri http, Uri https) = await ServerFixture.StartHttpAndHttpsAsync(_certDir, settings);
        return (http, https);
    }

    private static async Task<SslStream> ConnectTlsAsync(Uri https)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(https.Host, https.Port, TestContext.Current.CancellationToken);
        var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, TestContext.Current.CancellationToken);
        return tls;
    }

    private static byte[] UpgradeRequest(Uri server) => Encoding.ASCII.GetBytes(
        $"GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: {server.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\n\r\n");

    /// <summary>The first line the server sends, or what it sent before closing (empty if nothing) within 10 s.</summary>
    private static async Task<string> ReadStatusLineAsync(Stream stream)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(10_000);
        var line = new StringBuilder();
        byte[] one = new byte[1];
        try
        {
            while (await stream.ReadAsync(one, timeout.Token) == 1 && one[0] != (byte)'\n')
            {
                line.Append((char)one[0]);
            }
        }
        catch (IOException)
        {
            // Reset by the server: it said nothing more.
        }

        return line.ToString().TrimEnd('\r');
    }
}
