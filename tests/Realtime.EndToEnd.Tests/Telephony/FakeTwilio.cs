using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests.Telephony;

/// <summary>
/// A fake Twilio Media Streams client, as Twilio behaves: after `connected` and `start` it sends the caller's
/// microphone as 20 ms µ-law `media` frames at real time (speech when told to, silence otherwise, never a gap),
/// plays what the server sends at real time and echoes each `mark` when playback reaches it; on `clear` it drops
/// the unplayed audio and echoes the marks still pending at once. Everything it saw is recorded in order.
/// </summary>
internal sealed class FakeTwilio : IAsyncDisposable
{
    public const int FrameBytes = 160;
    private const byte MuLawSilence = 0xFF;

    private readonly ClientWebSocket _socket = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<(byte[] Audio, TaskCompletionSource Sent)> _speech = new();
    private readonly Lock _gate = new();
    private readonly List<byte> _received = [];
    private readonly List<(string Name, long Position)> _pending = [];
    private Task _microphone = Task.CompletedTask;
    private Task _playback = Task.CompletedTask;
    private Task _receiver = Task.CompletedTask;
    private long _played;
    private int _sequence;

    private FakeTwilio(string streamSid, string callSid)
    {
        StreamSid = streamSid;
        CallSid = callSid;
    }

    public string StreamSid { get; }

    public string CallSid { get; }

    /// <summary>Every server message in arrival order: ("media", bytes), ("mark", name), ("clear", null).</summary>
    public List<(string Kind, string? Name, byte[]? Audio)> Received { get; } = [];

    /// <summary>When each message of <see cref="Received"/> arrived (Stopwatch timestamps, same index).</summary>
    public List<long> ReceivedAt { get; } = [];

    /// <summary>When the first frame of each utterance went out (Stopwatch timestamps, in order).</summary>
    public List<long> UtteranceStarts { get; } = [];

    /// <summary>Marks echoed because playback reached them, in order.</summary>
    public List<string> EchoedPlayed { get; } = [];

    /// <summary>Marks echoed because a `clear` dropped their audio.</summary>
    public List<string> EchoedOnClear { get; } = [];

    /// <summary>The marks echoed as played when the first `clear` arrived.</summary>
    public List<string>? PlayedAtFirstClear { get; private set; }

    /// <summary>Messages whose streamSid was not this stream's.</summary>
    public int ForeignMessages { get; private set; }

    public WebSocketCloseStatus? CloseStatus => _socket.CloseStatus;

    public string? CloseDescription => _socket.CloseStatusDescription;

    public TaskCompletionSource Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>When the connection closed (Stopwatch timestamp), to order it against echoes.</summary>
    public long ClosedAt { get; private set; }

    public long LastEchoAt { get; private set; }

    /// <summary>Connects, sends `connected` and `start`, and starts the microphone and the speaker.</summary>
    public static async Task<FakeTwilio> CallAsync(Uri ws, IReadOnlyDictionary<string, string> customParameters, string callSid, CancellationToken cancellationToken)
    {
        var call = new FakeTwilio("MZ" + Guid.NewGuid().ToString("N"), callSid);
        await call._socket.ConnectAsync(ws, cancellationToken);
        call._receiver = call.ReceiveLoopAsync();
        await call.SendJsonAsync(w =>
        {
            w.WriteString("event", "connected");
            w.WriteString("protocol", "Call");
            w.WriteString("version", "1.0.0");
        });
        await call.SendJsonAsync(w =>
        {
            w.WriteString("event", "start");
            w.WriteString("sequenceNumber", call.NextSequence());
            w.WriteStartObject("start");
            w.WriteString("accountSid", "AC00000000000000000000000000000000");
            w.WriteString("streamSid", call.StreamSid);
            w.WriteString("callSid", callSid);
            w.WriteStartArray("tracks");
            w.WriteStringValue("inbound");
            w.WriteEndArray();
            w.WriteStartObject("mediaFormat");
            w.WriteString("encoding", "audio/x-mulaw");
            w.WriteNumber("sampleRate", 8000);
            w.WriteNumber("channels", 1);
            w.WriteEndObject();
            w.WriteStartObject("customParameters");
            foreach (KeyValuePair<string, string> parameter in customParameters)
            {
                w.WriteString(parameter.Key, parameter.Value);
            }

            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteString("streamSid", call.StreamSid);
        });
        call._microphone = call.MicrophoneLoopAsync();
        call._playback = call.PlaybackLoopAsync();
        return call;
    }

    /// <summary>The caller says <paramref name="ulaw"/>; completes when its last frame was sent.</summary>
    public Task SayAsync(byte[] ulaw)
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _speech.Enqueue((ulaw, sent));
        return sent.Task;
    }

    public Task PressAsync(char digit) => SendJsonAsync(w =>
    {
        w.WriteString("event", "dtmf");
        w.WriteString("streamSid", StreamSid);
        w.WriteString("sequenceNumber", NextSequence());
        w.WriteStartObject("dtmf");
        w.WriteString("track", "inbound_track");
        w.WriteString("digit", digit.ToString());
        w.WriteEndObject();
    });

    public Task SendStopAsync() => SendJsonAsync(w =>
    {
        w.WriteString("event", "stop");
        w.WriteString("sequenceNumber", NextSequence());
        w.WriteString("streamSid", StreamSid);
        w.WriteStartObject("stop");
        w.WriteString("accountSid", "AC00000000000000000000000000000000");
        w.WriteString("callSid", CallSid);
        w.WriteEndObject();
    });

    /// <summary>A copy of what was received so far.</summary>
    public List<(string Kind, string? Name, byte[]? Audio)> Snapshot()
    {
        lock (_gate)
        {
            return [.. Received];
        }
    }

    /// <summary>Milliseconds from <paramref name="from"/> (a Stopwatch timestamp) to the first media frame received after it.</summary>
    public double MsToFirstMediaAfter(long from)
    {
        lock (_gate)
        {
            for (int i = 0; i < Received.Count; i++)
            {
                if (Received[i].Kind == "media" && ReceivedAt[i] > from)
                {
                    return Stopwatch.GetElapsedTime(from, ReceivedAt[i]).TotalMilliseconds;
                }
            }
        }

        return double.NaN;
    }

    public List<string> Played()
    {
        lock (_gate)
        {
            return [.. EchoedPlayed];
        }
    }

    /// <summary>True when everything received has been played (nothing queued at the "phone").</summary>
    public bool Idle
    {
        get
        {
            lock (_gate)
            {
                return _played >= _received.Count && _pending.Count == 0;
            }
        }
    }

    /// <summary>Polls <paramref name="condition"/> until true (hang guard only: the wait is for an event, not a time).</summary>
    public static async Task WaitUntilAsync(Func<bool> condition, string what, int timeoutMs = 60_000)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.ElapsedMilliseconds > timeoutMs)
            {
                throw new TimeoutException("Timed out waiting for " + what);
            }

            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_microphone, _playback);
        }
        catch (OperationCanceledException)
        {
        }

        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", CancellationToken.None);
            }
            catch (WebSocketException)
            {
            }
        }

        try
        {
            await _receiver;
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
        }

        _socket.Dispose();
        _stop.Dispose();
    }

    private string NextSequence() => Interlocked.Increment(ref _sequence).ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task SendJsonAsync(Action<Utf8JsonWriter> body)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }

        await _sendLock.WaitAsync();
        try
        {
            if (_socket.State == WebSocketState.Open)
            {
                await _socket.SendAsync(buffer.WrittenMemory, WebSocketMessageType.Text, true, CancellationToken.None);
            }
        }
        catch (WebSocketException)
        {
            // The server closed the stream (hang-up): nothing more to send.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>20 ms frames on an absolute schedule: a late tick sends at once, so audio time stays exact.</summary>
    private async Task MicrophoneLoopAsync()
    {
        byte[] silence = Enumerable.Repeat(MuLawSilence, FrameBytes).ToArray();
        var clock = Stopwatch.StartNew();
        long frame = 0;
        (byte[] Audio, TaskCompletionSource Sent)? current = null;
        int offset = 0;
        while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
        {
            long due = frame * 20;
            long wait = due - clock.ElapsedMilliseconds;
            if (wait > 0)
            {
                await Task.Delay((int)wait, _stop.Token);
            }

            if (current is null && _speech.TryDequeue(out var next))
            {
                current = next;
                offset = 0;
                lock (_gate)
                {
                    UtteranceStarts.Add(Stopwatch.GetTimestamp());
                }
            }

            byte[] payload = silence;
            if (current is { } speaking)
            {
                payload = new byte[FrameBytes];
                Array.Fill(payload, MuLawSilence);
                int take = Math.Min(FrameBytes, speaking.Audio.Length - offset);
                speaking.Audio.AsSpan(offset, take).CopyTo(payload);
                offset += take;
                if (offset >= speaking.Audio.Length)
                {
                    speaking.Sent.TrySetResult();
                    current = null;
                }
            }

            long timestamp = frame * 20;
            await SendJsonAsync(w =>
            {
                w.WriteString("event", "media");
                w.WriteString("sequenceNumber", NextSequence());
                w.WriteStartObject("media");
                w.WriteString("track", "inbound");
                w.WriteString("chunk", (frame + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteString("timestamp", timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
                w.WriteBase64String("payload", payload);
                w.WriteEndObject();
                w.WriteString("streamSid", StreamSid);
            });
            frame++;
        }
    }

    /// <summary>The "phone": plays 20 ms a tick and echoes each mark when playback reaches its position.</summary>
    private async Task PlaybackLoopAsync()
    {
        var clock = Stopwatch.StartNew();
        long tick = 0;
        while (!_stop.IsCancellationRequested && _socket.State == WebSocketState.Open)
        {
            long wait = (tick * 20) - clock.ElapsedMilliseconds;
            if (wait > 0)
            {
                await Task.Delay((int)wait, _stop.Token);
            }

            tick++;
            List<string> due = [];
            lock (_gate)
            {
                _played = Math.Min(_received.Count, _played + FrameBytes);
                while (_pending.Count > 0 && _pending[0].Position <= _played)
                {
                    due.Add(_pending[0].Name);
                    EchoedPlayed.Add(_pending[0].Name);
                    _pending.RemoveAt(0);
                }
            }

            foreach (string name in due)
            {
                await EchoMarkAsync(name);
            }
        }
    }

    private async Task EchoMarkAsync(string name)
    {
        await SendJsonAsync(w =>
        {
            w.WriteString("event", "mark");
            w.WriteString("sequenceNumber", NextSequence());
            w.WriteString("streamSid", StreamSid);
            w.WriteStartObject("mark");
            w.WriteString("name", name);
            w.WriteEndObject();
        });
        LastEchoAt = Stopwatch.GetTimestamp();
    }

    private async Task ReceiveLoopAsync()
    {
        byte[] buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (true)
            {
                WebSocketReceiveResult result = await _socket.ReceiveAsync(buffer, CancellationToken.None);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    // Answer the server's close, as Twilio does when the server ends the stream.
                    ClosedAt = Stopwatch.GetTimestamp();
                    await _sendLock.WaitAsync();
                    try
                    {
                        await _socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "", CancellationToken.None);
                    }
                    finally
                    {
                        _sendLock.Release();
                    }

                    break;
                }

                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                await OnMessageAsync(message.ToArray());
                message.SetLength(0);
            }
        }
        catch (WebSocketException)
        {
        }
        finally
        {
            if (ClosedAt == 0)
            {
                ClosedAt = Stopwatch.GetTimestamp();
            }

            Closed.TrySetResult();
        }
    }

    private async Task OnMessageAsync(byte[] json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        JsonElement root = document.RootElement;
        if (root.GetProperty("streamSid").GetString() != StreamSid)
        {
            ForeignMessages++;
        }

        List<string> flushed = [];
        lock (_gate)
        {
            ReceivedAt.Add(Stopwatch.GetTimestamp());
            switch (root.GetProperty("event").GetString())
            {
                case "media":
                    byte[] audio = Convert.FromBase64String(root.GetProperty("media").GetProperty("payload").GetString()!);
                    Received.Add(("media", null, audio));
                    _received.AddRange(audio);
                    break;
                case "mark":
                    string name = root.GetProperty("mark").GetProperty("name").GetString()!;
                    Received.Add(("mark", name, null));
                    _pending.Add((name, _received.Count));
                    break;
                case "clear":
                    Received.Add(("clear", null, null));
                    PlayedAtFirstClear ??= [.. EchoedPlayed];
                    _played = _received.Count;
                    foreach ((string pendingName, _) in _pending)
                    {
                        flushed.Add(pendingName);
                        EchoedOnClear.Add(pendingName);
                    }

                    _pending.Clear();
                    break;
                default:
                    Received.Add((root.GetProperty("event").GetString() ?? "?", null, null));
                    break;
            }
        }

        foreach (string name in flushed)
        {
            await EchoMarkAsync(name);
        }
    }
}
