using System.Runtime.CompilerServices;
using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.Tests.TurnDetection;
using Realtime.Engines.Local.Silero;

namespace Realtime.Engine.Tests.Sessions;

/// <summary>Server VAD through the whole session with the real Silero detector and the shared fixtures, streamed faster than real time.</summary>
public sealed class VadTurnTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    private readonly SileroSpeechDetector _vad = fixture.Detector;

    private static byte[] Pcm(string name) => AudioFixtures.ReadWav(name).Pcm;

    private static List<string> Types(SessionHarness h) => h.Output.Types();

    [Fact]
    public async Task WeatherQuestionIsOneTurnWithAutoResponse()
    {
        await using var h = new SessionHarness(vad: _vad);
        h.Model.Script = _ => [new ChatDelta(ChatDeltaKind.Text, "Sunny.")];
        h.StreamAudio(Pcm("weather_question.wav"), 48);
        await h.WaitFor("response.done");
        List<string> types = Types(h);
        int started = types.IndexOf("input_audio_buffer.speech_started");
        Assert.Equal(
            ["input_audio_buffer.speech_started", "input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.added", "conversation.item.done", "response.created"],
            types.Skip(started).Take(6).ToList());
        Assert.Single(types, "input_audio_buffer.speech_started");
        JsonElement start = await h.WaitFor("input_audio_buffer.speech_started");
        JsonElement stop = await h.WaitFor("input_audio_buffer.speech_stopped");
        JsonElement committed = await h.WaitFor("input_audio_buffer.committed");
        long startMs = start.GetProperty("audio_start_ms").GetInt64();
        long endMs = stop.GetProperty("audio_end_ms").GetInt64();
        Assert.InRange(startMs, 100, 300);
        Assert.InRange(endMs, 2600, 3400);
        string itemId = start.GetProperty("item_id").GetString()!;
        Assert.Equal(itemId, stop.GetProperty("item_id").GetString());
        Assert.Equal(itemId, committed.GetProperty("item_id").GetString());
        JsonElement retrieved = (await h.Exchange($"{{\"type\":\"conversation.item.retrieve\",\"item_id\":\"{itemId}\"}}")).Single(static e => e.GetProperty("type").GetString() == "conversation.item.retrieved");
        int audioBytes = retrieved.GetProperty("item").GetProperty("content")[0].GetProperty("audio").GetBytesFromBase64().Length;
        Assert.InRange(audioBytes, (endMs - startMs - 1) * 48, (endMs - startMs + 1) * 48);
        JsonElement usage = (await h.WaitFor("response.done")).GetProperty("response").GetProperty("usage");
        Assert.Equal((int)((endMs - startMs) / 100), usage.GetProperty("input_token_details").GetProperty("audio_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("input_tokens").GetInt32(), usage.GetProperty("input_token_details").GetProperty("text_tokens").GetInt32() + usage.GetProperty("input_token_details").GetProperty("audio_tokens").GetInt32());
    }

    [Fact]
    public async Task G711InputGivesTheSameTurn()
    {
        await using var h = new SessionHarness(vad: _vad);
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"output_modalities\":[\"text\"],\"audio\":{\"input\":{\"format\":{\"type\":\"audio/pcmu\"}}}}}");
        h.StreamAudio(AudioFixtures.ReadRaw("weather_question_8k.ulaw"), 8, 20);
        await h.WaitFor("response.done");
        Assert.InRange((await h.WaitFor("input_audio_buffer.speech_started")).GetProperty("audio_start_ms").GetInt64(), 100, 300);
        long endMs = (await h.WaitFor("input_audio_buffer.speech_stopped")).GetProperty("audio_end_ms").GetInt64();
        Assert.InRange(endMs, 2600, 3400);
        string itemId = (await h.WaitFor("input_audio_buffer.committed")).GetProperty("item_id").GetString()!;
        JsonElement retrieved = (await h.Exchange($"{{\"type\":\"conversation.item.retrieve\",\"item_id\":\"{itemId}\"}}")).Single(static e => e.GetProperty("type").GetString() == "conversation.item.retrieved");
        Assert.InRange(retrieved.GetProperty("item").GetProperty("content")[0].GetProperty("audio").GetBytesFromBase64().Length, 8 * 2000, 8 * 3400);
    }

    [Fact]
    public async Task SilenceAndNoiseNeverStartSpeech()
    {
        await using var h = new SessionHarness(vad: _vad);
        h.StreamAudio(Pcm("silence_3s.wav"), 48);
        h.StreamAudio(Pcm("noise_3s.wav"), 48);
        await h.Exchange("{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"sync\"}");
        Assert.DoesNotContain("input_audio_buffer.speech_started", Types(h));
        Assert.DoesNotContain("response.created", Types(h));
    }

    [Fact]
    public async Task CreateResponseFalseCommitsWithoutResponse()
    {
        await using var h = new SessionHarness(vad: _vad);
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"create_response\":false}}}}}");
        h.StreamAudio(Pcm("weather_question.wav"), 48);
        await h.WaitFor("conversation.item.done");
        await h.Exchange("{\"type\":\"input_audio_buffer.clear\"}");
        Assert.Contains("input_audio_buffer.committed", Types(h));
        Assert.DoesNotContain("response.created", Types(h));
    }

    [Fact]
    public async Task TurnDetectionNullMeansNoVadEvents()
    {
        await using var h = new SessionHarness(vad: _vad);
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"turn_detection\":null}}}}");
        await h.WaitFor("session.updated");
        h.StreamAudio(Pcm("weather_question.wav"), 48);
        List<JsonElement> events = await h.Exchange("{\"type\":\"input_audio_buffer.commit\"}");
        Assert.DoesNotContain("input_audio_buffer.speech_started", Types(h));
        Assert.Equal("input_audio_buffer.committed", events[0].GetProperty("type").GetString());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task SpeechDuringResponseInterruptsOnlyWhenConfigured(bool interrupt)
    {
        await using var h = new SessionHarness(vad: _vad);
        h.Model.DelayPerDelta = TimeSpan.FromMilliseconds(interrupt ? 50 : 1);
        h.Model.Script = _ => Enumerable.Range(0, interrupt ? 400 : 20).Select(i => new ChatDelta(ChatDeltaKind.Text, "la "));
        h.Send($"{{\"type\":\"session.update\",\"session\":{{\"type\":\"realtime\",\"output_modalities\":[\"text\"],\"audio\":{{\"input\":{{\"turn_detection\":{{\"type\":\"server_vad\",\"interrupt_response\":{(interrupt ? "true" : "false")},\"create_response\":false}}}}}}}}}}");
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("response.output_text.delta");
        h.StreamAudio(Pcm("weather_question.wav"), 48);
        JsonElement done = await h.WaitFor("response.done");
        JsonElement response = done.GetProperty("response");
        if (interrupt)
        {
            Assert.Equal("cancelled", response.GetProperty("status").GetString());
            Assert.Equal("turn_detected", response.GetProperty("status_details").GetProperty("reason").GetString());
            List<string> types = Types(h);
            Assert.True(types.IndexOf("input_audio_buffer.speech_started") < types.IndexOf("response.done"));
        }
        else
        {
            Assert.Equal("completed", response.GetProperty("status").GetString());
        }
    }

    [Fact]
    public async Task InputTranscriptionFillsTheItem()
    {
        var recognizer = new FakeRecognizer();
        await using var h = new SessionHarness(vad: _vad, recognizer: recognizer);
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"transcription\":{\"model\":\"whisper-1\"},\"turn_detection\":{\"type\":\"server_vad\",\"create_response\":false}}}}}");
        h.StreamAudio(Pcm("weather_question.wav"), 48);
        JsonElement completed = await h.WaitFor("conversation.item.input_audio_transcription.completed");
        string itemId = (await h.WaitFor("input_audio_buffer.committed")).GetProperty("item_id").GetString()!;
        Assert.Equal((itemId, 0, "What is the weather"), (completed.GetProperty("item_id").GetString(), completed.GetProperty("content_index").GetInt32(), completed.GetProperty("transcript").GetString()));
        string deltas = string.Concat(h.Output.Events.Where(e => e.GetProperty("type").GetString() == "conversation.item.input_audio_transcription.delta").Select(e => e.GetProperty("delta").GetString()));
        Assert.Equal("What is the weather", deltas);
        Assert.InRange(recognizer.SamplesWritten, 16 * 2000, 16 * 3400);
        Assert.Equal("whisper-1", recognizer.Options!.Model);
        JsonElement item = (await h.Exchange($"{{\"type\":\"conversation.item.retrieve\",\"item_id\":\"{itemId}\"}}")).Single(static e => e.GetProperty("type").GetString() == "conversation.item.retrieved").GetProperty("item");
        Assert.Equal("What is the weather", item.GetProperty("content")[0].GetProperty("transcript").GetString());
    }

    [Fact]
    public async Task IdleTimeoutTriggersOnAudioTimeAfterAResponse()
    {
        await using var h = new SessionHarness(vad: _vad);
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"idle_timeout_ms\":1000}}}}}");
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("response.done");
        // 2 s of silence: one timeout at ~1.2 s, and no room for a second one after the answer it starts (that would
        // need the answer to end before 0.8 s of audio); how far the audio gets while that answer runs is up to threads.
        h.StreamAudio(Pcm("silence_3s.wav")[..(2000 * 48)], 48);
        JsonElement timeout = await h.WaitFor("input_audio_buffer.timeout_triggered");
        JsonElement committed = await h.WaitFor("input_audio_buffer.committed");
        await h.WaitFor("response.created", 2);
        // Armed at response end plus the 200 ms of assistant audio; fires 1000 ms of audio later.
        Assert.InRange(timeout.GetProperty("audio_end_ms").GetInt64(), 1200, 1280);
        Assert.Equal(timeout.GetProperty("item_id").GetString(), committed.GetProperty("item_id").GetString());
        Assert.Single(h.Output.Types(), "input_audio_buffer.timeout_triggered");
        Assert.DoesNotContain("input_audio_buffer.speech_started", h.Output.Types());
    }

    [Fact]
    public async Task G711OutputIsEncodedAndChunked()
    {
        await using var h = new SessionHarness();
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"output\":{\"format\":{\"type\":\"audio/pcmu\"}}}}}");
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("response.done");
        byte[][] deltas = h.Output.Events.Where(e => e.GetProperty("type").GetString() == "response.output_audio.delta").Select(e => e.GetProperty("delta").GetBytesFromBase64()).ToArray();
        Assert.All(deltas, d => Assert.True(d.Length <= 800));
        // 2 words x 2400 samples at 24 kHz = 200 ms = 1600 bytes of 8 kHz G.711 (a few samples of resampler delay either way).
        Assert.InRange(deltas.Sum(d => d.Length), 1500, 1700);
    }

    private sealed class FakeRecognizer : ISpeechRecognizer
    {
        public string Name => "fake-stt";

        public bool StreamsWhileSpeaking => false;

        public int SamplesWritten { get; private set; }

        public RecognitionOptions? Options { get; private set; }

        public ISpeechRecognitionStream Open(RecognitionOptions options, CancellationToken cancellationToken)
        {
            Options = options;
            return new Stream(this);
        }

        private sealed class Stream(FakeRecognizer owner) : ISpeechRecognitionStream
        {
            public void Write(ReadOnlySpan<float> samples) => owner.SamplesWritten += samples.Length;

            private readonly TaskCompletionSource _completed = new(TaskCreationOptions.RunContinuationsAsynchronously);

            public void Complete() => _completed.TrySetResult();

            public async IAsyncEnumerable<TranscriptUpdate> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
            {
                await Task.Yield();
                yield return new TranscriptUpdate("What is", false);
                yield return new TranscriptUpdate(" the weather", false);
                // Like a real recognizer, the final text only once the audio has ended (the turn was committed).
                await _completed.Task.WaitAsync(cancellationToken);
                yield return new TranscriptUpdate("What is the weather", true);
            }

            public ValueTask DisposeAsync() => ValueTask.CompletedTask;
        }
    }
}
