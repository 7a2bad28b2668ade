using System.Buffers;
using System.IO.Pipelines;
using System.Net.WebSockets;
using Realtime.Wire.Connections;

namespace Realtime.Host.Tests.Connections;

/// <summary>The connection over in-memory pipes, with the runtime's client WebSocket on the other end.</summary>
public sealed class WebSocketConnectionTests
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private sealed class RecordingSession : IWebSocketSession
    {
        public IMessageOutput? Output { get; set; }

        public TaskCompletionSource<CloseReason> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Texts { get; } = [];

        public bool Disposed { get; private set; }

        public Action<IMessageOutput>? OnOpenAction { get; init; }

        public void OnOpen() => OnOpenAction?.Invoke(Output!);

        public void OnText(ReadOnlySequence<byte> message) => Texts.Add(System.Text.Encoding.UTF8.GetString(message.ToArray()));

        public void OnBinary(ReadOnlySequence<byte> message)
        {
        }

        public void OnClosed(CloseReason reason) => Closed.TrySetResult(reason);

        public ValueTask DisposeAsync()
        {
            Disposed = true;
            return ValueTask.CompletedTask;
        }
    }

    private static (WebSocketConnection Server, WebSocket Client) Connect(WebSocketConnectionOptions options)
    {
        var toServer = new Pipe();
        var toClient = new Pipe();
        var server = new WebSocketConnection(toServer.Reader, toClient.Writer, options);
        WebSocket client = WebSocket.CreateFromStream(new DuplexPipeStream(toClient.Reader, toServer.Writer), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        return (server, client);
    }

    [Fact]
    public async Task Client_close_1000_is_echoed_and_reported_as_peer_initiated()
    {
        (WebSocketConnection server, WebSocket client) = Connect(new WebSocketConnectionOptions { KeepAliveInterval = TimeSpan.Zero });
        var session = new RecordingSession { Output = server };
        Task run = server.RunAsync(session, Cancel);
        await client.SendAsync("one"u8.ToArray(), WebSocketMessageType.Text, true, Cancel);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        await run.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        Assert.Equal(new CloseReason(1000, "OK", InitiatedByPeer: true), await session.Closed.Task);
        Assert.Equal(["one"], session.Texts);
        Assert.True(session.Disposed);
        Assert.False(server.SendText("late"u8));
    }

    [Fact]
    public async Task Server_close_waits_for_the_peer_only_until_the_close_timeout()
    {
        (WebSocketConnection server, WebSocket client) = Connect(new WebSocketConnectionOptions { KeepAliveInterval = TimeSpan.Zero, CloseTimeout = TimeSpan.FromMilliseconds(200) });
        var session = new RecordingSession { Output = server, OnOpenAction = output => output.Close(4000, "invalid_request_error.missing_model") };
        Task run = server.RunAsync(session, Cancel);
        // The client reads the close frame but never answers it.
        ValueWebSocketReceiveResult result = await client.ReceiveAsync(new byte[64].AsMemory(), Cancel);
        Assert.Equal(WebSocketMessageType.Close, result.MessageType);
        Assert.Equal(4000, (int)client.CloseStatus!.Value);
        Assert.Equal("invalid_request_error.missing_model", client.CloseStatusDescription);
        await run.WaitAsync(TimeSpan.FromSeconds(5), Cancel);
        Assert.Equal(new CloseReason(4000, "invalid_request_error.missing_model", InitiatedByPeer: false), await session.Closed.Task);
    }

    [Fact]
    public async Task Warm_SendText_allocates_nothing_and_long_messages_are_fragmented()
    {
        (WebSocketConnection server, WebSocket client) = Connect(new WebSocketConnectionOptions { KeepAliveInterval = TimeSpan.Zero, OutgoingFragmentBytes = 1000 });
        var session = new RecordingSession { Output = server };
        Task run = server.RunAsync(session, Cancel);
        byte[] payload = new byte[2500];
        payload.AsSpan().Fill((byte)'a');
        byte[] receive = new byte[4096];

        async Task RoundAsync()
        {
            Assert.True(server.SendText(payload));
            int length = 0, frames = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(receive.AsMemory(length), Cancel);
                length += result.Count;
                frames++;
            }
            while (!result.EndOfMessage);
            Assert.Equal(payload.Length, length);
            Assert.True(frames >= 3, $"expected 3 fragments of at most 1000 bytes, got {frames} receive(s)");
        }

        for (int i = 0; i < 20; i++)
        {
            await RoundAsync();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            server.SendText("{\"type\":\"response.output_audio.delta\"}"u8);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        await run.WaitAsync(TimeSpan.FromSeconds(10), Cancel);
    }
}
