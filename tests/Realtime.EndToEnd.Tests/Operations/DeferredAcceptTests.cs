using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>
/// The server's listening sockets defer the accept until the client's first bytes (TCP_DEFER_ACCEPT): a connection
/// costs the server one wake-up instead of two. Observed through Kestrel's own "accepted" log line.
/// </summary>
public sealed class DeferredAcceptTests
{
    [Fact]
    public async Task A_connection_reaches_the_server_with_its_first_bytes_not_before()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "TCP_DEFER_ACCEPT is a Linux socket option");
        var capture = new CapturingLoggerProvider();
        WebApplication app = RealtimeServer.Build(
            [
                "--urls", "http://127.0.0.1:0",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Microsoft.AspNetCore.Server.Kestrel.Connections=Debug",
            ],
            builder => builder.Logging.AddProvider(capture));
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var client = new TcpClient();
            await client.ConnectAsync(address.Host, address.Port, TestContext.Current.CancellationToken);
            NetworkStream stream = client.GetStream();

            // The TCP handshake is done (ConnectAsync returned), but the server has not been handed the connection.
            await Task.Delay(500, TestContext.Current.CancellationToken);
            Assert.DoesNotContain(capture.Lines, IsAccepted);

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n\r\n"), TestContext.Current.CancellationToken);
            using var reader = new StreamReader(stream, Encoding.ASCII);
            string? status = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
            Assert.Equal("HTTP/1.1 200 OK", status);
            Assert.Single(capture.Lines, IsAccepted);
        }
        finally
        {
            await app.StopAsync(TestContext.Current.CancellationToken);
            await app.DisposeAsync();
        }
    }

    private static bool IsAccepted(CapturedLog line) =>
        line.Category == "Microsoft.AspNetCore.Server.Kestrel.Connections" && line.Message.EndsWith("accepted.", StringComparison.Ordinal);
}
