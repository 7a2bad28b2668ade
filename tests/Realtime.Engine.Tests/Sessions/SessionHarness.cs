using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Sessions;
using Realtime.Wire.Connections;
using Realtime.Wire.Events;

namespace Realtime.Engine.Tests.Sessions;

/// <summary>Records every sent event; tests wait for events by type.</summary>
internal sealed class RecordingOutput : IMessageOutput
{
    private readonly List<JsonElement> _events = [];
    private readonly SemaphoreSlim _signal = new(0);

    public long PendingBytes => 0;

    public List<JsonElement> Events { get { lock (_events) { return [.. _events]; } } }

    public bool SendText(ReadOnlySpan<byte> utf8Payload)
    {
        JsonElement element = JsonDocument.Parse(utf8Payload.ToArray()).RootElement;
        lock (_events)
        {
            _events.Add(element);
        }

        _signal.Release();
        return true;
    }

    public (ushort Status, string Reason)? Closed { get; private set; }

    public void Close(ushort closeStatus, string reason) => Closed = (closeStatus, reason);

    public async Task<JsonElement> WaitForAsync(string type, int occurrence = 1)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (true)
        {
            List<JsonElement> events = Events;
            int seen = 0;
            foreach (JsonElement e in events)
            {
                if (e.GetProperty("type").GetString() == type && ++seen == occurrence)
                {
                    return e;
                }
            }

            await _signal.WaitAsync(timeout.Token);
        }
    }

    public List<string> Types() => Events.Select(e => e.GetProperty("type").GetString()!).ToList();
}

/// <summary>A scripted chat model: text words, tool calls, delays that honour cancellation, failures.</summary>
internal sealed class FakeChatModel : IChatModel
{
    public string Name => "fake";

    public Func<ChatRequest, IEnumerable<ChatDelta>> Script { get; set; } = _ => [new ChatDelta(ChatDeltaKind.Text, "Hello "), new ChatDelta(ChatDeltaKind.Text, "world.")];

    public TimeSpan DelayPerDelta { get; set; }

    public bool SawCancellation { get; private set; }

    public Exception? Failure { get; set; }

    public ChatRequest? LastRequest { get; private set; }

    public async IAsyncEnumerable<ChatDelta> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        LastRequest = request;
        await Task.Yield();
        foreach (ChatDelta delta in Script(request))
        {
            if (DelayPerDelta > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(DelayPerDelta, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    SawCancellation = true;
                    throw;
                }
            }

            yield return delta;
        }

        if (Failure is not null)
        {
            throw Failure;
        }

        yield return new ChatDelta(ChatDeltaKind.Finish, FinishReason: "stop");
    }
}

/// <summary>24 kHz sine, a fixed number of samples per word.</summary>
internal sealed class FakeSynthesizer : ISpeechSynthesizer
{
    public const int SamplesPerWord = 2400;

    public string Name => "fake-tts";

    public Exception? Failure { get; set; }

    /// <summary>How long each synthesis takes before its audio comes.</summary>
    public TimeSpan Delay { get; set; }

    public async IAsyncEnumerable<AudioChunk> SynthesizeAsync(SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await Task.Yield();
        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, cancellationToken);
        }

        if (Failure is not null)
        {
            throw Failure;
        }

        int words = request.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var samples = new short[words * SamplesPerWord];
        for (int i = 0; i < samples.Length; i++)
        {
            samples[i] = (short)(8000 * Math.Sin(2 * Math.PI * 440 * i / 24000.0));
        }

        yield return new AudioChunk(samples, 24000);
    }
}

internal sealed class FixedResolver(SessionEngines engines) : ISessionEngineResolver
{
    public SessionEngines Resolve(string? model) => engines;
}

internal sealed class SessionHarness : IAsyncDisposable
{
    private readonly Dialect _dialect;

    public SessionHarness(Dialect dialect = Dialect.Ga, bool transcription = false, ISpeechDetector? vad = null, ISpeechRecognizer? recognizer = null, RealtimeSessionOptions? options = null)
    {
        _dialect = dialect;
        var factory = new RealtimeSessionFactory(new FixedResolver(new SessionEngines(vad, recognizer, Model, Tts, "default")), options);
        Session = factory.Create(new RealtimeConnectionInfo(dialect, "gpt-realtime", transcription), Output);
        Session.OnOpen();
    }

    public FakeChatModel Model { get; } = new();

    public FakeSynthesizer Tts { get; } = new();

    public RecordingOutput Output { get; } = new();

    public IWebSocketSession Session { get; }

    public void Send(string json) => Session.OnText(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)));

    /// <summary>Streams PCM/G.711 bytes as appends of <paramref name="chunkMs"/>, faster than real time (VAD runs on audio time).</summary>
    public void StreamAudio(byte[] audio, int bytesPerMs, int chunkMs = 40)
    {
        int chunk = bytesPerMs * chunkMs;
        for (int offset = 0; offset < audio.Length; offset += chunk)
        {
            int length = Math.Min(chunk, audio.Length - offset);
            Send($"{{\"type\":\"input_audio_buffer.append\",\"audio\":\"{Convert.ToBase64String(audio, offset, length)}\"}}");
        }
    }

    public Task<JsonElement> WaitFor(string type, int occurrence = 1) => Output.WaitForAsync(type, occurrence);

    /// <summary>Sends an event and a marker clear, returning the events the first one produced.</summary>
    public async Task<List<JsonElement>> Exchange(string json)
    {
        await WaitFor(_dialect == Dialect.Beta ? "conversation.created" : "session.created");
        int clears = Output.Types().Count(t => t == "input_audio_buffer.cleared");
        int start = Output.Events.Count;
        Send(json);
        Send("{\"type\":\"input_audio_buffer.clear\"}");
        await WaitFor("input_audio_buffer.cleared", clears + 1);
        List<JsonElement> events = Output.Events;
        return events.Skip(start).TakeWhile(e => e.GetProperty("type").GetString() != "input_audio_buffer.cleared").ToList();
    }

    /// <summary>
    /// Returns once the session has handled everything sent so far: events are handled in order, so the error that
    /// answers an unknown event sent now comes after every earlier event's output.
    /// </summary>
    public async Task SettleAsync()
    {
        string id = "settle_" + Guid.NewGuid().ToString("N");
        Send($"{{\"type\":\"harness.settle\",\"event_id\":\"{id}\"}}");
        while (true)
        {
            List<JsonElement> errors = [.. Output.Events.Where(e => e.GetProperty("type").GetString() == "error")];
            if (errors.Any(e => e.GetProperty("error").TryGetProperty("event_id", out JsonElement echoed) && echoed.GetString() == id))
            {
                return;
            }

            await WaitFor("error", errors.Count + 1);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Session.OnClosed(new CloseReason(1000, null, true));
        await Session.DisposeAsync();
    }
}
