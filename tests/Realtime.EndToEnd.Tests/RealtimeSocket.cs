using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests;

/// <summary>A plain ClientWebSocket realtime client for tests: sends events, records every server event, waits for one.</summary>
internal sealed class RealtimeSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly List<JsonElement> _events = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private Task? _receive;

    public IReadOnlyList<JsonElement> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>The close status the server sent (after the receive loop ended), or null.</summary>
    public System.Net.WebSockets.WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    /// <summary>Completes when the server's close frame (or a failure) ended the receive loop.</summary>
    public Task Completion => _receive ?? Task.CompletedTask;

    public static Task<RealtimeSocket> ConnectAsync(ServerFixture server, string query = "model=gpt-realtime") =>
        ConnectAsync(server.WsBase, ServerFixture.ApiKey, query);

    public static async Task<RealtimeSocket> ConnectAsync(string wsBase, string apiKey, string query = "model=gpt-realtime", bool waitForCreated = true)
    {
        var socket = new RealtimeSocket();
        socket._socket.Options.SetRequestHeader("Authorization", "Bearer " + apiKey);
        await socket._socket.ConnectAsync(new Uri($"{wsBase}/realtime?{query}"), CancellationToken.None);
        socket._receive = socket.ReceiveLoop();
        if (waitForCreated)
        {
            await socket.WaitFor("session.created");
        }

        return socket;
    }

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public Task SendAsync(object payload, System.Text.Json.Serialization.Metadata.JsonTypeInfo typeInfo) =>
        SendAsync(JsonSerializer.Serialize(payload, typeInfo));

    /// <summary>Sends input audio as appends of <paramref name="chunkBytes"/>, as fast as the socket takes them (VAD runs on audio time).</summary>
    public async Task AppendAudioAsync(ReadOnlyMemory<byte> audio, int chunkBytes)
    {
        for (int offset = 0; offset < audio.Length; offset += chunkBytes)
        {
            ReadOnlyMemory<byte> chunk = audio.Slice(offset, Math.Min(chunkBytes, audio.Length - offset));
            await SendAsync($"{{\"type\":\"input_audio_buffer.append\",\"audio\":\"{Convert.ToBase64String(chunk.Span)}\"}}");
        }
    }

    /// <summary>Waits for the <paramref name="nth"/> (1-based) event of a type, failing with the events seen so far.</summary>
    public async Task<JsonElement> WaitFor(string type, int nth = 1, int timeoutMs = 60_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            JsonElement[] matching = Events.Where(e => e.GetProperty("type").GetString() == type).ToArray();
            if (matching.Length >= nth)
            {
                return matching[nth - 1];
            }

            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {type} #{nth} within {timeoutMs} ms; got: {string.Join(", ", Types())}");
            }
        }
    }

    public IEnumerable<string> Types() => Events.Select(e => e.GetProperty("type").GetString()!);

    public IEnumerable<JsonElement> OfType(string type) => Events.Where(e => e.GetProperty("type").GetString() == type);

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                // Only the close frame: the receive loop reads the server's answer. CloseAsync would race that pending
                // receive for it and can throw "closed without completing the close handshake" once the server hangs up.
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "OK", CancellationToken.None);
            }
            else if (_socket.State == WebSocketState.CloseReceived)
            {
                // Answer the server's close so it does not wait out its close timeout.
                await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "OK", CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or IOException)
        {
            // The server already dropped the TCP connection (a replica that has exited after its close): there is no
            // one left to answer. What a test asserts about the close was read by the receive loop, not here.
        }

        if (_receive is not null)
        {
            await _receive;
        }

        _socket.Dispose();
    }

    private async Task ReceiveLoop()
    {
        try
        {
            while (await WebSocketJson.ReceiveAsync(_socket, CancellationToken.None) is { } parsed)
            {
                lock (_events)
                {
                    _events.Add(parsed);
                }

                _arrived.Release();
            }
        }
        catch (WebSocketException)
        {
            // The server went away; waiting tests time out with the events they got.
        }
    }
}
