using System.Diagnostics;
using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Realtime.EndToEnd.Tests.Operations;
using Realtime.Host.Operations;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// Fault 7: 1000 sessions connect at once against the default `Realtime:Limits:MaxConcurrentSessions` (1000), on
/// the embedded profile's text path (echo LLM, no audio, so no engine is the bottleneck). All get session.created,
/// the 1001st upgrade gets HTTP 503 before any 101, closing them all leaves no session, and a new one works.
/// Needs about 2,100 file descriptors in this one process (1000 client sockets, 1000 server sockets, the rest).
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class ThousandSessionsTests
{
    private const int Sessions = 1000;

    [Fact]
    public async Task ThousandConnectAtOnceThe1001stGets503AndClosingThemAllLeavesNone()
    {
        // The runtime raises the soft limit to the hard one at start; below this, sockets fail for want of descriptors.
        long openFiles = OpenFileLimit();
        Assert.True(openFiles >= 2 * Sessions + 200, $"this test needs about {2 * Sessions + 200} open files in one process; the limit is {openFiles} (raise `ulimit -Hn`)");
        await using OpsServer server = await OpsServer.StartAsync();
        SessionRegistry registry = server.App.Services.GetRequiredService<SessionRegistry>();
        var clock = Stopwatch.StartNew();

        RealtimeSocket[] sockets = await Task.WhenAll(Enumerable.Range(0, Sessions).Select(_ => server.ConnectAsync()));
        TimeSpan connected = clock.Elapsed;
        try
        {
            Assert.Equal(Sessions, registry.OpenCount);
            string[] ids = [.. sockets.Select(s => s.OfType("session.created").Single().GetProperty("session").GetProperty("id").GetString()!)];
            Assert.Equal(Sessions, ids.Distinct(StringComparer.Ordinal).Count());
            Assert.Equal(HttpStatusCode.ServiceUnavailable, await UpgradeStatusAsync(server));
            Assert.Equal(Sessions, registry.OpenCount);
        }
        finally
        {
            await Task.WhenAll(sockets.Select(s => s.DisposeAsync().AsTask()));
        }

        TimeSpan closed = clock.Elapsed;
        Assert.True(await Turns.EventuallyAsync(() => registry.OpenCount == 0, 60_000), $"{registry.OpenCount} sessions left after closing all");
        Assert.All(sockets, s => Assert.Equal(WebSocketCloseStatus.NormalClosure, s.CloseStatus));

        await using RealtimeSocket next = await server.ConnectAsync();
        await next.SendAsync(Turns.TextOnly);
        await next.WaitFor("session.updated");
        JsonElement done = await Turns.RunAsync(next, "one more please");
        Assert.Equal("completed", Turns.Status(done));
        Assert.Equal("You said: one more please", Turns.Text(next, done));
        string figure = $"{Sessions} sessions: all created after {connected.TotalSeconds:F2} s, all closed after {closed.TotalSeconds:F2} s, released after {clock.Elapsed.TotalSeconds:F2} s";
        TestContext.Current.SendDiagnosticMessage(figure);
        Console.Error.WriteLine("FAULTS " + figure);
    }

    /// <summary>The soft RLIMIT_NOFILE of this process (Linux), or long.MaxValue where it cannot be read.</summary>
    private static long OpenFileLimit()
    {
        const string Limits = "/proc/self/limits";
        if (!File.Exists(Limits))
        {
            return long.MaxValue;
        }

        string? line = File.ReadLines(Limits).FirstOrDefault(l => l.StartsWith("Max open files", StringComparison.Ordinal));
        string[] fields = line?["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries) ?? [];
        return fields.Length > 0 && long.TryParse(fields[0], System.Globalization.CultureInfo.InvariantCulture, out long soft) ? soft : long.MaxValue;
    }

    private static async Task<HttpStatusCode> UpgradeStatusAsync(OpsServer server)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        socket.Options.SetRequestHeader("Authorization", "Bearer " + OpsServer.KeyB);
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri($"{server.WsBase}/realtime?model=gpt-realtime"), CancellationToken.None));
        return socket.HttpStatusCode;
    }
}
