using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text.Json;
using Realtime.EndToEnd.Tests.Operations;
using Realtime.Wire.Connections;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// Fault 6: a client floods 20,000 masked pings. Policy (RFC 6455 §5.5.3): pings are answered, but at most one pong
/// is ever queued — a newer ping replaces an answer not yet written — so the latest ping is always answered, pongs
/// arrive in order, and a flood costs no memory however slowly the client reads. Pings are not events: they are not
/// rate-limited and never close the session (1008 stays for a client that does not read its events).
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class PingFloodTests
{
    private const int Pings = 20_000;

    [Fact]
    public async Task FloodDuringASpokenTurnGetsOrderedPongsForTheLatestPingAndTheTurnIsIntact()
    {
        await using FaultServer server = await FaultServer.StartAsync();
        CancellationToken cancel = TestContext.Current.CancellationToken;

        // The same turn without a flood, for the reference event sequence.
        await using RealtimeSocket reference = await server.ConnectAsync();
        const string Say = "[echo] [slow:50] one two three four five six seven eight nine ten";
        JsonElement referenceDone = await Turns.RunAsync(reference, Say);
        string[] expected = [.. Turns.OfResponse(reference.Events, referenceDone).Select(e => e.GetProperty("type").GetString()!)];

        await using RawRealtimeClient client = await server.ConnectRawAsync();
        await client.ReadUntilEventAsync("session.created");
        var events = new List<JsonElement>();
        var pongs = new List<uint>();
        var firstAudio = new TaskCompletionSource();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        Task reader = Task.Run(async () =>
        {
            while (await client.ReadFrameAsync(stop.Token) is { } frame && frame.Opcode != RawRealtimeClient.Close)
            {
                lock (events)
                {
                    if (frame.Opcode == RawRealtimeClient.Pong)
                    {
                        pongs.Add(BinaryPrimitives.ReadUInt32BigEndian(frame.Payload));
                    }
                    else if (frame.Opcode == RawRealtimeClient.Text)
                    {
                        JsonElement e = JsonDocument.Parse(frame.Payload).RootElement.Clone();
                        events.Add(e);
                        if (e.GetProperty("type").GetString() == "response.output_audio.delta")
                        {
                            firstAudio.TrySetResult();
                        }
                    }
                }
            }
        }, cancel);

        await client.SendTextAsync(Turns.UserText(Say));
        await client.SendTextAsync("""{"type":"response.create"}""");
        await firstAudio.Task.WaitAsync(TimeSpan.FromSeconds(20), cancel);

        // 20,000 pings with a 4-byte counter, written in batches as fast as the socket takes them, while audio streams.
        for (int batch = 0; batch < Pings / 1000; batch++)
        {
            using var frames = new MemoryStream();
            for (int i = 1; i <= 1000; i++)
            {
                byte[] payload = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)((batch * 1000) + i));
                frames.Write(RawRealtimeClient.Frame(RawRealtimeClient.Ping, payload));
            }

            await client.SendAsync(frames.ToArray());
        }

        bool Done()
        {
            lock (events)
            {
                return pongs.Count > 0 && pongs[^1] == Pings && events.Any(e => e.GetProperty("type").GetString() == "response.done");
            }
        }

        Assert.True(await Turns.EventuallyAsync(Done, 60_000), $"no pong for the last ping or no response.done; {pongs.Count} pongs");
        await client.SendAsync(RawRealtimeClient.Frame(RawRealtimeClient.Close, [0x03, 0xE8]));
        await reader.WaitAsync(TimeSpan.FromSeconds(20), cancel);

        uint[] answered;
        string[] types;
        JsonElement done;
        lock (events)
        {
            answered = [.. pongs];
            done = events.Single(e => e.GetProperty("type").GetString() == "response.done");
            types = [.. Turns.OfResponse(events, done).Select(e => e.GetProperty("type").GetString()!)];
        }

        string figure = $"ping flood during a spoken turn: {Pings} pings sent, {answered.Length} pongs received, the last for ping {answered[^1]}";
        TestContext.Current.SendDiagnosticMessage(figure);
        Console.Error.WriteLine("FAULTS " + figure);
        Assert.InRange(answered.Length, 1, Pings);
        Assert.True(answered.Zip(answered.Skip(1)).All(p => p.First < p.Second), "pongs out of order");
        Assert.Equal((uint)Pings, answered[^1]);
        // The flood changed nothing in the turn: the same events in the same order as without it.
        Assert.Equal(expected, types);
        Assert.Equal("completed", Turns.Status(done));
        await reference.DisposeAsync();
        await server.AssertRecoveredAsync();
    }

    /// <summary>
    /// The memory side, on the connection itself: its client never reads (the output pipe stays full), and 20,000
    /// pings still leave at most one pong queued. Before pongs were coalesced, each was queued: 120,000 bytes here,
    /// and without bound for a longer flood.
    /// </summary>
    [Fact]
    public async Task FloodFromAClientThatDoesNotReadQueuesAtMostOnePong()
    {
        var input = new Pipe();
        var output = new Pipe(new PipeOptions(pauseWriterThreshold: 256, resumeWriterThreshold: 128));
        var connection = new WebSocketConnection(input.Reader, output.Writer, new WebSocketConnectionOptions { KeepAliveInterval = TimeSpan.Zero });
        var session = new LastTextSession();
        Task run = connection.RunAsync(session, TestContext.Current.CancellationToken);

        long maxPending = 0;
        for (int batch = 0; batch < Pings / 1000; batch++)
        {
            for (int i = 1; i <= 1000; i++)
            {
                byte[] payload = new byte[4];
                BinaryPrimitives.WriteUInt32BigEndian(payload, (uint)((batch * 1000) + i));
                input.Writer.Write(RawRealtimeClient.Frame(RawRealtimeClient.Ping, payload));
            }

            await input.Writer.FlushAsync(TestContext.Current.CancellationToken);
            maxPending = Math.Max(maxPending, connection.PendingBytes);
        }

        // A text message after the flood: when the session has it, every ping before it has been handled.
        input.Writer.Write(RawRealtimeClient.Frame(RawRealtimeClient.Text, "{}"u8));
        await input.Writer.FlushAsync(TestContext.Current.CancellationToken);
        Assert.True(await Turns.EventuallyAsync(() => session.Texts == 1), "the text after the flood never arrived");
        maxPending = Math.Max(maxPending, connection.PendingBytes);

        // What the writer holds: the pipe's 256 bytes it is blocked on, plus one pong (6 bytes) queued behind them.
        Assert.InRange(maxPending, 0, 256 + 6 + 6);

        // Now read: the pongs are in order and the last answers the last ping; far fewer than the pings.
        var pongs = new List<uint>();
        input.Writer.Write(RawRealtimeClient.Frame(0x8, [0x03, 0xE8]));
        await input.Writer.FlushAsync(TestContext.Current.CancellationToken);
        while (true)
        {
            ReadResult read = await output.Reader.ReadAsync(TestContext.Current.CancellationToken);
            ReadOnlySequence<byte> buffer = read.Buffer;
            while (buffer.Length >= 2)
            {
                byte[] head = buffer.Slice(0, 2).ToArray();
                int length = head[1] & 0x7F;
                if (buffer.Length < 2 + length)
                {
                    break;
                }

                byte[] payload = buffer.Slice(2, length).ToArray();
                if ((head[0] & 0x0F) == 0xA)
                {
                    pongs.Add(BinaryPrimitives.ReadUInt32BigEndian(payload));
                }

                buffer = buffer.Slice(2 + length);
            }

            output.Reader.AdvanceTo(buffer.Start, buffer.End);
            if (read.IsCompleted)
            {
                break;
            }
        }

        await run;
        string figure = $"ping flood from a non-reading client: {Pings} pings, {pongs.Count} pongs, at most {maxPending} bytes pending";
        TestContext.Current.SendDiagnosticMessage(figure);
        Console.Error.WriteLine("FAULTS " + figure);
        Assert.InRange(pongs.Count, 1, Pings / 10);
        Assert.True(pongs.Zip(pongs.Skip(1)).All(p => p.First < p.Second), "pongs out of order");
        Assert.Equal((uint)Pings, pongs[^1]);
    }

    private sealed class LastTextSession : IWebSocketSession
    {
        private int _texts;

        public int Texts => Volatile.Read(ref _texts);

        public void OnOpen()
        {
        }

        public void OnText(ReadOnlySequence<byte> message) => Interlocked.Increment(ref _texts);

        public void OnBinary(ReadOnlySequence<byte> message)
        {
        }

        public void OnClosed(CloseReason reason)
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
