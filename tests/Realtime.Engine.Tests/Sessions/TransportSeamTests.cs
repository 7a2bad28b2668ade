using System.Collections.Concurrent;
using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Responses;
using Realtime.Engine.Sessions;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.Tests.TurnDetection;
using Realtime.Engines.Local.Silero;
using Realtime.Wire.Audio;
using Realtime.Wire.Events;

namespace Realtime.Engine.Tests.Sessions;

/// <summary>
/// The transport-neutral seam without any transport: typed commands in, <see cref="ISessionEvents"/> out, driving the
/// same loop as the JSON path (whose events the recording output still sees, so both can be compared).
/// </summary>
public sealed class TransportSeamTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    private readonly SileroSpeechDetector _vad = fixture.Detector;

    [Fact]
    public async Task MulawInGivesTypedTurnAudioAndResponseEvents()
    {
        await using var seam = new Seam(_vad);
        seam.Session.Configure(new SessionSettings
        {
            Format = AudioFormat.G711Ulaw,
            Instructions = "Answer the phone.",
            Voice = "en-us",
            Tools = [new ToolDefinition("lookup", "Looks up.", """{"type":"object"}""")],
        });
        byte[] audio = AudioFixtures.ReadRaw("weather_question_8k.ulaw");
        for (int offset = 0; offset < audio.Length; offset += 160)
        {
            Assert.True(seam.Session.AppendAudio(audio.AsSpan(offset, Math.Min(160, audio.Length - offset))));
        }

        await seam.WaitForAsync("done ");
        string[] kinds = [.. seam.Events.Select(e => e.Split(' ')[0])];
        Assert.Equal(["started", "stopped"], kinds[..2]);
        Assert.Equal("done", kinds[^1]);
        Assert.Equal("audio-done", kinds[^2]);
        Assert.All(kinds[2..^2], k => Assert.Equal("audio", k));

        // One item id from speech start to stop; the answer's audio pieces carry the response's item and content 0.
        Assert.Equal(seam.Events[0].Split(' ')[1], seam.Events[1].Split(' ')[1]);
        string answer = seam.Events[^2];
        Assert.EndsWith("Hello world.", answer, StringComparison.Ordinal);
        string responseId = answer.Split(' ')[1], itemId = answer.Split(' ')[2];
        Assert.All(seam.Events[2..^2], e => Assert.StartsWith($"audio {responseId} {itemId} 0 ", e, StringComparison.Ordinal));
        Assert.Equal($"done {responseId} Completed", seam.Events[^1]);

        // µ-law out through the seam only (no audio delta is rendered as JSON for it), and the settings reached the
        // model and the voice.
        int typedBytes = seam.Events[2..^2].Sum(e => int.Parse(e.Split(' ')[4], System.Globalization.CultureInfo.InvariantCulture));
        Assert.DoesNotContain(seam.Output.Events, e => e.GetProperty("type").GetString() == "response.output_audio.delta");
        Assert.InRange(typedBytes, 2 * FakeSynthesizer.SamplesPerWord / 3 - 64, 2 * FakeSynthesizer.SamplesPerWord / 3 + 64);
        Assert.Equal("Answer the phone.", seam.Model.LastRequest!.Instructions);
        Assert.Equal("lookup", Assert.Single(seam.Model.LastRequest.Tools).Name);
        Assert.Equal(AudioFormat.G711Ulaw, seam.Session.Config.InputFormat);
        Assert.True(seam.Session.Config.VoiceIsCustom);
    }

    [Fact]
    public async Task TextTruncationAndFunctionOutputsGoThroughTheSeam()
    {
        await using var seam = new Seam(vad: null);
        seam.Session.Configure(new SessionSettings { Format = AudioFormat.G711Ulaw, Tools = [new ToolDefinition("lookup", null, null)] });
        seam.Model.Script = request => request.Messages[^1].Role == ChatRole.Tool
            ? [new ChatDelta(ChatDeltaKind.Text, "It is " + request.Messages[^1].Content)]
            : [new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: 0, ToolCallId: "call_1", ToolName: "lookup", ArgumentsDelta: "{\"q\":1}")];

        seam.Session.AddUserText("[DTMF 7]");
        await seam.WaitForAsync("done ");
        Assert.Equal("[DTMF 7]", seam.Model.LastRequest!.Messages[^1].Content);
        Assert.Contains("call call_1 lookup {\"q\":1}", seam.Events);

        seam.Session.AddFunctionOutput("call_1", "sunny", respond: true);
        await seam.WaitForAsync("audio-done ");
        await seam.WaitForAsync("done ", 2);
        ChatMessage output = seam.Model.LastRequest!.Messages[^1];
        Assert.Equal((ChatRole.Tool, "sunny", "call_1"), (output.Role, output.Content, output.ToolCallId));
        string answer = seam.Events.Single(e => e.StartsWith("audio-done ", StringComparison.Ordinal));
        Assert.EndsWith("It is sunny", answer, StringComparison.Ordinal);

        // Cut the answer to what a listener heard (100 ms of its 200 ms); a bad cut is reported as an error event.
        string itemId = answer.Split(' ')[2];
        seam.Session.Truncate(itemId, 0, 100);
        JsonElement truncated = await seam.Output.WaitForAsync("conversation.item.truncated");
        Assert.Equal(100, truncated.GetProperty("audio_end_ms").GetInt64());
        seam.Session.Truncate("item_missing", 0, 100);
        await seam.WaitForAsync("error item_truncate_invalid_item_id");
    }

    private sealed class Seam : ISessionEvents, IAsyncDisposable
    {
        private readonly ConcurrentQueue<string> _events = new();

        public Seam(ISpeechDetector? vad)
        {
            var factory = new RealtimeSessionFactory(new FixedResolver(new SessionEngines(vad, null, Model, new FakeSynthesizer(), "default")));
            Session = factory.CreateForTransport(new RealtimeConnectionInfo(Dialect.Ga, "phone", TranscriptionIntent: false), Output, this);
            Session.OnOpen();
        }

        public RealtimeSession Session { get; }

        public FakeChatModel Model { get; } = new();

        public RecordingOutput Output { get; } = new();

        public List<string> Events => [.. _events];

        public async Task WaitForAsync(string prefix, int occurrence = 1)
        {
            for (int i = 0; i < 1000 && Events.Count(e => e.StartsWith(prefix, StringComparison.Ordinal)) < occurrence; i++)
            {
                await Task.Delay(10);
            }

            Assert.True(Events.Count(e => e.StartsWith(prefix, StringComparison.Ordinal)) >= occurrence, $"no '{prefix}' in: {string.Join(" | ", Events)}");
        }

        public void OnSpeechStarted(string itemId, long audioStartMs) => _events.Enqueue($"started {itemId} {audioStartMs}");

        public void OnSpeechStopped(string itemId, long audioEndMs) => _events.Enqueue($"stopped {itemId} {audioEndMs}");

        public void OnUserTranscript(string itemId, string? transcript) => _events.Enqueue($"heard {itemId} {transcript}");

        public void OnAudio(string responseId, string itemId, int contentIndex, ReadOnlySpan<byte> audio) =>
            _events.Enqueue($"audio {responseId} {itemId} {contentIndex} {audio.Length}");

        public void OnAudioDone(string responseId, string itemId, int contentIndex, string transcript) =>
            _events.Enqueue($"audio-done {responseId} {itemId} {contentIndex} {transcript}");

        public void OnFunctionCall(string responseId, string itemId, string callId, string name, string arguments) =>
            _events.Enqueue($"call {callId} {name} {arguments}");

        public void OnResponseDone(string responseId, ResponseStatus status, string? statusReason, string? errorMessage) =>
            _events.Enqueue($"done {responseId} {status}");

        public void OnError(string code, string message) => _events.Enqueue($"error {code} {message}");

        public async ValueTask DisposeAsync()
        {
            Session.OnClosed(new Wire.Connections.CloseReason(1000, null, true));
            await Session.DisposeAsync();
        }
    }
}
