using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// A ClientWebSocket realtime client against <see cref="RemoteBackendFixture"/>: records every server event with
/// the Stopwatch time it arrived, so tests can order events and measure latency.
/// </summary>
internal sealed class RemoteSocket : IAsyncDisposable
{
    private readonly ClientWebSocket _socket = new();
    private readonly List<(JsonElement Event, long At)> _events = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private Task? _receive;

    public IReadOnlyList<(JsonElement Event, long At)> Timed
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    public IReadOnlyList<JsonElement> Events => [.. Timed.Select(e => e.Event)];

    public static async Task<RemoteSocket> ConnectAsync(RemoteBackendFixture server, string model)
    {
        var socket = new RemoteSocket();
        socket._socket.Options.SetRequestHeader("Authorization", "Bearer " + RemoteBackendFixture.ApiKey);
        await socket._socket.ConnectAsync(new Uri($"{server.WsBase}/realtime?model={model}"), CancellationToken.None);
        socket._receive = socket.ReceiveLoop();
        await socket.WaitFor("session.created");
        return socket;
    }

    public Task SendAsync(string json) =>
        _socket.SendAsync(Encoding.UTF8.GetBytes(json), WebSocketMessageType.Text, true, CancellationToken.None);

    public int Count => Timed.Count;

    /// <summary>Waits for the first event of <paramref name="type"/> at or after index <paramref name="from"/>.</summary>
    public async Task<JsonElement> WaitFor(string type, int from = 0, int timeoutMs = 60_000)
    {
        using var cts = new CancellationTokenSource(timeoutMs);
        while (true)
        {
            IReadOnlyList<(JsonElement Event, long At)> events = Timed;
            for (int i = from; i < events.Count; i++)
            {
                if (events[i].Event.GetProperty("type").GetString() == type)
                {
                    return events[i].Event;
                }
            }

            try
            {
                await _arrived.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"No {type} within {timeoutMs} ms; got: {string.Join(", ", events.Skip(from).Select(e => e.Event.GetProperty("type").GetString()))}");
            }
        }
    }

    /// <summary>Index of the first event at or after <paramref name="from"/> whose type is one of <paramref name="types"/>, waiting for it.</summary>
    public async Task<int> WaitForAny(int from, params string[] types)
    {
        using var cts = new CancellationTokenSource(20_000);
        while (true)
        {
            IReadOnlyList<(JsonElement Event, long At)> events = Timed;
            for (int i = from; i < events.Count; i++)
            {
                if (types.Contains(events[i].Event.GetProperty("type").GetString()))
                {
                    return i;
                }
            }

            await _arrived.WaitAsync(cts.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", CancellationToken.None);
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
                long at = System.Diagnostics.Stopwatch.GetTimestamp();
                lock (_events)
                {
                    _events.Add((parsed, at));
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
