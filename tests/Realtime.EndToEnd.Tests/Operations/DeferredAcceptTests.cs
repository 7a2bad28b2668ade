using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>
/// The server's listening sockets defer the accept until the client's first bytes (TCP_DEFER_ACCEPT): a connection
/// costs the server one wake-up instead of two. Observed in the kernel's own table (/proc/net/tcp): until the client
/// sends, the server's side of a connection whose TCP handshake the client saw complete is still a request socket
/// (SYN_RECV), not yet in the accept queue; once it sends, it is established and served.
/// </summary>
public sealed class DeferredAcceptTests
{
    private const string SynReceived = "03";
    private const string Established = "01";

    [Fact]
    public async Task A_connection_reaches_the_server_with_its_first_bytes_not_before()
    {
        Assert.SkipUnless(OperatingSystem.IsLinux(), "TCP_DEFER_ACCEPT is a Linux socket option");
        WebApplication app = RealtimeServer.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning"]);
        await app.StartAsync(TestContext.Current.CancellationToken);
        try
        {
            var address = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
            using var client = new TcpClient();
            await client.ConnectAsync(address.Host, address.Port, TestContext.Current.CancellationToken);
            int clientPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
            NetworkStream stream = client.GetStream();

            // The TCP handshake is done for the client (ConnectAsync returned), but the server has not accepted it.
            await Task.Delay(500, TestContext.Current.CancellationToken);
            Assert.Equal(SynReceived, ServerSideState(address.Port, clientPort));

            await stream.WriteAsync(Encoding.ASCII.GetBytes($"GET /healthz HTTP/1.1\r\nHost: {address.Authority}\r\n\r\n"), TestContext.Current.CancellationToken);
            using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
            string? status = await reader.ReadLineAsync(TestContext.Current.CancellationToken);
            Assert.Equal("HTTP/1.1 200 OK", status);
            Assert.Equal(Established, ServerSideState(address.Port, clientPort));
        }
        finally
        {
            await app.StopAsync(TestContext.Current.CancellationToken);
            await app.DisposeAsync();
        }
    }

    /// <summary>The state column (hex) of the server's side of the loopback connection, from /proc/net/tcp.</summary>
    private static string? ServerSideState(int serverPort, int clientPort)
    {
        string local = $":{serverPort:X4}";
        string remote = $":{clientPort:X4}";
        foreach (string line in File.ReadLines("/proc/net/tcp").Skip(1))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields[1].EndsWith(local, StringComparison.Ordinal) && fields[2].EndsWith(remote, StringComparison.Ordinal))
            {
                return fields[3];
            }
        }

        return null;
    }
}
