using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Realtime.Engine.Backends;
using Realtime.Engine.Sessions;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.Tests.TurnDetection;
using Realtime.Engines.Local.Silero;
using Realtime.Wire.Connections;

namespace Realtime.Engine.Tests.Sessions;

/// <summary>
/// semantic_vad and the echo guard through a whole session with the real Silero detector, streamed faster than real
/// time. Where a recognizer's partial must arrive at a given audio time, the test streams up to that time and waits
/// for the client-visible transcription delta before streaming on, so the outcome does not depend on thread timing.
/// </summary>
public sealed class TurnTakingSessionTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    private const int BytesPerMs = 48; // pcm16 24 kHz

    private readonly SileroSpeechDetector _vad = fixture.Detector;

    [Fact]
    public async Task Semantic_vad_keeps_short_pause_one_turn_when_the_partial_ends_with_like()
    {
        // Partials as a streaming recognizer would give them: after "I would like" (ends 1148 ms) and after "please." (~3300 ms).
        var recognizer = new ScriptedRecognizer((16 * 950, "I would like"), (16 * 3100, " a cup of tea, please."));
        await using var h = new SessionHarness(vad: _vad, recognizer: recognizer);
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"transcription\":{\"model\":\"whisper-1\"},\"turn_detection\":{\"type\":\"semantic_vad\",\"eagerness\":\"medium\",\"create_response\":false}}}}}");
        byte[] audio = [.. AudioFixtures.ReadWav("short_pause.wav").Pcm, .. new byte[1000 * BytesPerMs]];
        h.StreamAudio(audio[..(1300 * BytesPerMs)], BytesPerMs);
        await h.WaitFor("conversation.item.input_audio_transcription.delta");
        h.StreamAudio(audio[(1300 * BytesPerMs)..(3400 * BytesPerMs)], BytesPerMs);
        await h.WaitFor("conversation.item.input_audio_transcription.delta", 2);
        h.StreamAudio(audio[(3400 * BytesPerMs)..], BytesPerMs);

        JsonElement stopped = await h.WaitFor("input_audio_buffer.speech_stopped");
        await h.WaitFor("conversation.item.input_audio_transcription.completed");
        Assert.Single(h.Output.Types(), "input_audio_buffer.speech_started");
        Assert.Single(h.Output.Types(), "input_audio_buffer.committed");
        // Ends 500 ms (medium, sentence complete) after "please.", not in the 632 ms gap.
        Assert.InRange(stopped.GetProperty("audio_end_ms").GetInt64(), 3300 + 500 - 100, 3300 + 500 + 150);
    }

    [Fact]
    public async Task Semantic_vad_without_partials_ends_weather_question_promptly()
    {
        await using var h = new SessionHarness(vad: _vad);
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"semantic_vad\",\"create_response\":false}}}}}");
        h.StreamAudio(AudioFixtures.ReadWav("weather_question.wav").Pcm, BytesPerMs);
        JsonElement stopped = await h.WaitFor("input_audio_buffer.speech_stopped");
        // auto = medium, neutral ending: 600 ms after the sentence (~2.6 s), inside the fixture's 1 s tail.
        Assert.InRange(stopped.GetProperty("audio_end_ms").GetInt64(), 2600, 3500);
    }

    [Fact]
    public async Task Own_voice_fed_back_quieter_does_not_barge_in_but_the_user_does()
    {
        var model = new HoldingChatModel();
        var tts = new FixtureSynthesizer("long_passage.wav");
        var output = new RecordingOutput();
        var factory = new RealtimeSessionFactory(new FixedResolver(new SessionEngines(_vad, null, model, tts, "default")), null);
        IWebSocketSession session = factory.Create(new RealtimeConnectionInfo(Wire.Events.Dialect.Ga, "gpt-realtime", false), output);
        session.OnOpen();
        void Send(string json) => session.OnText(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)));
        void Stream(byte[] audio)
        {
            for (int offset = 0; offset < audio.Length; offset += 40 * BytesPerMs)
            {
                Send($"{{\"type\":\"input_audio_buffer.append\",\"audio\":\"{Convert.ToBase64String(audio, offset, Math.Min(40 * BytesPerMs, audio.Length - offset))}\"}}");
            }
        }

        try
        {
            Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"create_response\":false,\"interrupt_response\":true}}}}}");
            Send("{\"type\":\"response.create\"}");
            // 16.8 s of assistant speech in 100 ms deltas; the response stays open (the model holds after one sentence).
            await output.WaitForAsync("response.output_audio.delta", 168);
            byte[] spoken = [.. output.Events.Where(e => e.GetProperty("type").GetString() == "response.output_audio.delta").SelectMany(e => e.GetProperty("delta").GetBytesFromBase64())];

            // The microphone hears the first 5 s of it at -12 dB: no speech_started, the response keeps going.
            Stream(Scale(spoken[..(5000 * BytesPerMs)], 0.25f));
            Send("{\"type\":\"conversation.item.retrieve\",\"item_id\":\"none\"}"); // a marker: the appends before it were handled
            await output.WaitForAsync("error");
            Assert.DoesNotContain("input_audio_buffer.speech_started", output.Types());
            Assert.DoesNotContain("response.done", output.Types());

            // The user speaks (full level) while the assistant still plays: barge-in.
            Stream(AudioFixtures.ReadWav("weather_question.wav").Pcm);
            JsonElement started = await output.WaitForAsync("input_audio_buffer.speech_started");
            JsonElement done = await output.WaitForAsync("response.done");
            Assert.Equal("turn_detected", done.GetProperty("response").GetProperty("status_details").GetProperty("reason").GetString());
            // Speech begins 500 ms into the fixture; under the guard its quiet onset does not count and 250 ms of loud
            // speech must follow each other, so the start (minus 300 ms padding) lands up to ~1.3 s into the fixture.
            Assert.InRange(started.GetProperty("audio_start_ms").GetInt64(), 5000 + 200, 5000 + 1400);

            // The cancelled item holds exactly the audio that was sent; the client's truncate at what it played
            // (here: up to speech_started on the shared audio clock) cuts audio and the unheard transcript.
            string itemId = done.GetProperty("response").GetProperty("output")[0].GetProperty("id").GetString()!;
            Send($"{{\"type\":\"conversation.item.retrieve\",\"item_id\":\"{itemId}\"}}");
            JsonElement stored = (await output.WaitForAsync("conversation.item.retrieved")).GetProperty("item").GetProperty("content")[0];
            Assert.Equal(spoken.Length, stored.GetProperty("audio").GetBytesFromBase64().Length);
            Assert.Equal("Here is a long story.", stored.GetProperty("transcript").GetString());
            long heardMs = started.GetProperty("audio_start_ms").GetInt64();
            Send($"{{\"type\":\"conversation.item.truncate\",\"item_id\":\"{itemId}\",\"content_index\":0,\"audio_end_ms\":{heardMs}}}");
            await output.WaitForAsync("conversation.item.truncated");
            Send($"{{\"type\":\"conversation.item.retrieve\",\"item_id\":\"{itemId}\"}}");
            JsonElement cut = (await output.WaitForAsync("conversation.item.retrieved", 2)).GetProperty("item").GetProperty("content")[0];
            Assert.Equal(heardMs * BytesPerMs, cut.GetProperty("audio").GetBytesFromBase64().Length);
            // ~6 s of 16.8 s heard: only the first words (cut at a word boundary) remain.
            string heardText = cut.GetProperty("transcript").GetString()!;
            Assert.True(heardText.Length is > 0 and < 10 && "Here is a long story.".StartsWith(heardText + " ", StringComparison.Ordinal), heardText);
        }
        finally
        {
            session.OnClosed(new CloseReason(1000, null, true));
            await session.DisposeAsync();
        }
    }

    [Theory]
    [InlineData(0, 100, 400)] // guard over 0..200 ms: the quiet sentence (from 500 ms) is heard as speech
    [InlineData(2000, 1900, 2300)] // guard until 2200 ms: speech counts only after it
    public async Task Echo_guard_lasts_the_assistant_audio_plus_the_configured_hold_off(int holdOffMs, long minStartMs, long maxStartMs)
    {
        await using var h = new SessionHarness(vad: _vad, options: new RealtimeSessionOptions { EchoHoldOffMs = holdOffMs });
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"create_response\":false}}}}}");
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("response.done"); // "Hello world." = 200 ms of assistant audio, playing from the next append
        h.StreamAudio(Scale(AudioFixtures.ReadWav("weather_question.wav").Pcm, 0.25f), BytesPerMs);
        JsonElement started = await h.WaitFor("input_audio_buffer.speech_started");
        Assert.InRange(started.GetProperty("audio_start_ms").GetInt64(), minStartMs, maxStartMs);
    }

    private static byte[] Scale(byte[] pcm, float gain)
    {
        var scaled = new byte[pcm.Length];
        for (int i = 0; i + 1 < pcm.Length; i += 2)
        {
            BitConverter.TryWriteBytes(scaled.AsSpan(i), (short)(BitConverter.ToInt16(pcm, i) * gain));
        }

        return scaled;
    }

    /// <summary>Answers one sentence, then holds the response open until it is cancelled.</summary>
    private sealed class HoldingChatModel : IChatModel
    {
        public string Name => "holding";

        public async IAsyncEnumerable<ChatDelta> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new ChatDelta(ChatDeltaKind.Text, "Here is a long story.");
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    /// <summary>Speaks a fixture (24 kHz) for any text: real speech, so its echo is speech to Silero.</summary>
    private sealed class FixtureSynthesizer(string fixture) : ISpeechSynthesizer
    {
        private readonly short[] _samples = ToSamples(AudioFixtures.ReadWav(fixture).Pcm);

        public string Name => "fixture-tts";

        public async IAsyncEnumerable<AudioChunk> SynthesizeAsync(SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new AudioChunk(_samples, 24_000);
        }

        private static short[] ToSamples(byte[] pcm)
        {
            var samples = new short[pcm.Length / 2];
            Buffer.BlockCopy(pcm, 0, samples, 0, samples.Length * 2);
            return samples;
        }
    }

    /// <summary>Streams each partial once it has been given the stated number of 16 kHz samples; final on Complete.</summary>
    private sealed class ScriptedRecognizer(params (int AfterSamples, string Delta)[] partials) : ISpeechRecognizer
    {
        public string Name => "scripted-stt";

        public bool StreamsWhileSpeaking => true;

        public ISpeechRecognitionStream Open(RecognitionOptions options, CancellationToken cancellationToken) => new Stream(partials);

        private sealed class Stream((int AfterSamples, string Delta)[] partials) : ISpeechRecognitionStream
        {
            private readonly Channel<TranscriptUpdate> _updates = Channel.CreateUnbounded<TranscriptUpdate>();
            private int _samples;
            private int _next;
            private string _text = "";

            public void Write(ReadOnlySpan<float> samples)
            {
                _samples += samples.Length;
                while (_next < partials.Length && _samples >= partials[_next].AfterSamples)
                {
                    _text += partials[_next].Delta;
                    _updates.Writer.TryWrite(new TranscriptUpdate(partials[_next++].Delta, false));
                }
            }

            public void Complete()
            {
                _updates.Writer.TryWrite(new TranscriptUpdate(_text, true));
                _updates.Writer.TryComplete();
            }

            public IAsyncEnumerable<TranscriptUpdate> ReadAsync(CancellationToken cancellationToken) => _updates.Reader.ReadAllAsync(cancellationToken);

            public ValueTask DisposeAsync()
            {
                _updates.Writer.TryComplete();
                return ValueTask.CompletedTask;
            }
        }
    }
}
