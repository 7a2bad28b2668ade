using System.Net.WebSockets;
using System.Text;
using Realtime.Wire.Audio;
using Realtime.Wire.Buffers;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>
/// Every pooled array the server rents for a session goes back exactly once: tracking on, the usual kinds of session
/// over real sockets, then nothing outstanding and no faulty return. Tracking is process-wide, hence the serial
/// collection.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class PoolTrackingTests
{
    private const string TextTurn =
        "{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"tell me about the weather in paris today\"}]}}";

    [Fact]
    public async Task SessionsOfEveryKindReturnEveryPooledBufferExactlyOnce()
    {
        using var connections = new Faults.ServerConnections();
        await using OpsServer server = await OpsServer.StartAsync();
        // One session before tracking warms the lazy engines, whose long-lived buffers are not a session's. Tracking
        // starts once the server has finished it entirely (its connection gone): its last drain returns a buffer it
        // rented untracked, which would read as a faulty return.
        await RunTextTurnAsync(server);
        for (int i = 0; i < 400 && connections.OpenOn(server.Http.Port) > 0; i++)
        {
            await Task.Delay(25, TestContext.Current.CancellationToken);
        }

        Assert.Equal(0, connections.OpenOn(server.Http.Port));
        PoolTracking.Start(captureRentStacks: true);
        try
        {
            await RunTextTurnAsync(server);
            await RunAudioTurnWithVadAsync(server);
            await RunCancelledResponseAsync(server);
            await RunAbortedClientAsync(server);
            await AssertAllReturnedAsync();
            await server.StopAsync();
            await AssertAllReturnedAsync();
        }
        finally
        {
            PoolTracking.Stop();
        }
    }

    internal static async Task AssertAllReturnedAsync()
    {
        // The server finishes a closed session on its own loop; give it a moment instead of a fixed sleep.
        for (int i = 0; i < 400 && PoolTracking.Outstanding > 0; i++)
        {
            await Task.Delay(25);
        }

        Assert.True(PoolTracking.Faults.Count == 0, "faulty returns:\n" + string.Join("\n\n", PoolTracking.Faults));
        Assert.True(PoolTracking.Outstanding == 0, $"{PoolTracking.Outstanding} outstanding:\n" + string.Join("\n\n", PoolTracking.DescribeOutstanding()));
    }

    private static async Task RunTextTurnAsync(OpsServer server)
    {
        await using RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync(TextTurn);
        await client.SendAsync("{\"type\":\"response.create\"}");
        await client.WaitFor("response.done", timeoutMs: 120_000);
        Assert.Equal("completed", client.OfType("response.done").Single().GetProperty("response").GetProperty("status").GetString());
        Assert.NotEmpty(client.OfType("response.output_audio.delta"));
    }

    private static async Task RunAudioTurnWithVadAsync(OpsServer server)
    {
        await using RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync(
            "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"transcription\":{\"model\":\"whisper-1\"}," +
            "\"turn_detection\":{\"type\":\"server_vad\",\"silence_duration_ms\":500}}}}}");
        await client.WaitFor("session.updated");
        await client.AppendAudioAsync(Fixture.Pcm24k("weather_question.wav"), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
        await client.AppendAudioAsync(Fixture.Silence(AudioFormat.Pcm16, 800), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
        await client.WaitFor("response.done", timeoutMs: 120_000);
        await client.WaitFor("conversation.item.input_audio_transcription.completed");
    }

    private static async Task RunCancelledResponseAsync(OpsServer server)
    {
        await using RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync(TextTurn);
        await client.SendAsync("{\"type\":\"response.create\"}");
        await client.WaitFor("response.created");
        await client.SendAsync("{\"type\":\"response.cancel\"}");
        await client.WaitFor("response.done", timeoutMs: 120_000);
        // Half an append left in the input buffer too, so the buffer is rented when the session ends.
        await client.AppendAudioAsync(Fixture.Silence(AudioFormat.Pcm16, 300), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
    }

    private static async Task RunAbortedClientAsync(OpsServer server)
    {
        // A client that vanishes mid-response without a close frame.
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + OpsServer.KeyA);
        await socket.ConnectAsync(new Uri($"{server.WsBase}/realtime?model=gpt-realtime"), TestContext.Current.CancellationToken);
        await socket.SendAsync(Encoding.UTF8.GetBytes(TextTurn), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        await socket.SendAsync("{\"type\":\"response.create\"}"u8.ToArray(), WebSocketMessageType.Text, true, TestContext.Current.CancellationToken);
        var buffer = new byte[1 << 16];
        var seen = new StringBuilder();
        while (!seen.ToString().Contains("\"response.output_audio.delta\"", StringComparison.Ordinal))
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, TestContext.Current.CancellationToken);
            Assert.NotEqual(WebSocketMessageType.Close, result.MessageType);
            seen.Append(Encoding.UTF8.GetString(buffer, 0, result.Count));
        }

        socket.Abort();
    }
}
