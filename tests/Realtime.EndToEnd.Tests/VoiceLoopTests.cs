using System.Diagnostics;
using System.Text.Json;
using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// The embedded default profile end to end (Silero VAD, pocketsphinx, the echo LLM, espeak-ng): a client
/// streams a spoken fixture and gets turn events, a transcript, and an echo answer as text and audio.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class VoiceLoopTests(ServerFixture server)
{
    [Theory]
    [InlineData("weather_question.wav", AudioFormat.Pcm16)]
    [InlineData("weather_question_16k.wav", AudioFormat.Pcm16)]
    [InlineData("weather_question_8k.ulaw", AudioFormat.G711Ulaw)]
    [InlineData("weather_question_8k.alaw", AudioFormat.G711Alaw)]
    public async Task SpokenQuestionGetsTranscriptAndSpokenEchoAnswer(string fixture, AudioFormat format)
    {
        await using RealtimeSocket client = await RealtimeSocket.ConnectAsync(server);
        await ConfigureAsync(client, format);
        byte[] audio = format == AudioFormat.Pcm16 ? Fixture.Pcm24k(fixture) : Fixture.Raw(fixture);
        await client.AppendAudioAsync(audio, 100 * format.BytesPerMillisecond());
        await client.AppendAudioAsync(Fixture.Silence(format, 800), 100 * format.BytesPerMillisecond());

        JsonElement done = await client.WaitFor("response.done", timeoutMs: 120_000);
        JsonElement started = client.OfType("input_audio_buffer.speech_started").Single();
        JsonElement stopped = client.OfType("input_audio_buffer.speech_stopped").Single();
        long startMs = started.GetProperty("audio_start_ms").GetInt64();
        long endMs = stopped.GetProperty("audio_end_ms").GetInt64();
        // Speech begins at 500 ms; audio_start_ms includes the 300 ms prefix padding.
        Assert.InRange(startMs, 100, 400);
        // The sentence ends near 2.6 s; the turn ends 500 ms of silence later.
        Assert.InRange(endMs, 2600, 3500);
        Assert.Equal(started.GetProperty("item_id").GetString(), stopped.GetProperty("item_id").GetString());

        JsonElement transcript = await client.WaitFor("conversation.item.input_audio_transcription.completed");
        string heard = transcript.GetProperty("transcript").GetString()!;
        // pocketsphinx hears this espeak voice poorly (README: bench/Realtime.Wer, 1-2 of 7 words from G.711); the question's
        // first word is what it gets in every format ("what is on whether we don't do you" at 24 kHz, "what we do" from µ-law).
        Assert.True(heard.StartsWith("what", StringComparison.OrdinalIgnoreCase), $"heard: {heard}");

        Assert.Equal("completed", done.GetProperty("response").GetProperty("status").GetString());
        string answer = string.Concat(client.OfType("response.output_audio_transcript.delta").Select(e => e.GetProperty("delta").GetString()));
        // The echo model answers with exactly what was heard.
        Assert.Equal($"You said: {heard}", answer.TrimEnd('.'), ignoreCase: true);

        // The answer is spoken: audio in the session's output format, of a plausible length for the sentence.
        int bytes = client.OfType("response.output_audio.delta").Sum(e => Convert.FromBase64String(e.GetProperty("delta").GetString()!).Length);
        double seconds = bytes / (double)(format.BytesPerMillisecond() * 1000);
        Assert.InRange(seconds, 1.0, 8.0);
        Assert.Equal(0, bytes % format.BytesPerSample());
    }

    /// <remarks>
    /// The fixture's pause is really 632 ms of digital silence (measured; its README says 0.3 s), so with the
    /// default 500 ms a faithful server_vad ends the turn in the gap. A pause shorter than silence_duration_ms
    /// must not cut the speaker off: with 800 ms the sentence is one turn.
    /// </remarks>
    [Fact]
    public async Task PauseShorterThanSilenceDurationStaysOneTurn()
    {
        await using RealtimeSocket client = await RealtimeSocket.ConnectAsync(server);
        await ConfigureAsync(client, AudioFormat.Pcm16, silenceDurationMs: 800);
        await client.AppendAudioAsync(Fixture.Pcm24k("short_pause.wav"), 4800);
        await client.AppendAudioAsync(Fixture.Silence(AudioFormat.Pcm16, 800), 4800);
        await client.WaitFor("response.done", timeoutMs: 120_000);
        await BarrierAsync(client);
        Assert.Single(client.OfType("input_audio_buffer.speech_started"));
        Assert.Single(client.OfType("input_audio_buffer.committed"));
    }

    [Fact]
    public async Task TwoTurnsPacedAtRealTimeGiveTwoAnswers()
    {
        await using RealtimeSocket client = await RealtimeSocket.ConnectAsync(server);
        await ConfigureAsync(client, AudioFormat.Pcm16);
        byte[] audio = Fixture.Pcm24k("two_turns.wav");
        var clock = Stopwatch.StartNew();
        const int chunkMs = 100;
        for (int offset = 0, n = 1; offset < audio.Length; offset += chunkMs * 48, n++)
        {
            await client.AppendAudioAsync(audio.AsMemory(offset, Math.Min(chunkMs * 48, audio.Length - offset)), chunkMs * 48);
            TimeSpan due = TimeSpan.FromMilliseconds(n * chunkMs) - clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, TestContext.Current.CancellationToken);
            }
        }

        await client.AppendAudioAsync(Fixture.Silence(AudioFormat.Pcm16, 800), 4800);
        await client.WaitFor("response.done", nth: 2, timeoutMs: 120_000);
        Assert.Equal(2, client.OfType("input_audio_buffer.committed").Count());
        string[] heard = [.. client.OfType("conversation.item.input_audio_transcription.completed").Select(e => e.GetProperty("transcript").GetString()!)];
        Assert.Equal(2, heard.Length);

        // The second turn's answer completes. The first one completes too unless the user started the second turn
        // while it was still being answered (a slow recognizer on a loaded machine): then it is the barge-in's to
        // cancel, and nothing else may end it.
        JsonElement[] answers = [.. client.OfType("response.done").Select(d => d.GetProperty("response"))];
        Assert.Equal("completed", answers[1].GetProperty("status").GetString());
        if (answers[0].GetProperty("status").GetString() != "completed")
        {
            Assert.Equal("cancelled", answers[0].GetProperty("status").GetString());
            Assert.Equal("turn_detected", answers[0].GetProperty("status_details").GetProperty("reason").GetString());
            Assert.True(IndexOf(client, "input_audio_buffer.speech_started", 2) < IndexOf(client, "response.done", 1), "the first answer was cancelled before the second turn began");
        }
    }

    [Fact]
    public async Task LongPassageIsTranscribedWhileSpokenAndAnswered()
    {
        await using RealtimeSocket client = await RealtimeSocket.ConnectAsync(server);
        await ConfigureAsync(client, AudioFormat.Pcm16);
        await client.AppendAudioAsync(Fixture.Pcm24k("long_passage.wav"), 4800);
        await client.AppendAudioAsync(Fixture.Silence(AudioFormat.Pcm16, 800), 4800);
        JsonElement done = await client.WaitFor("response.done", timeoutMs: 180_000);
        Assert.Equal("completed", done.GetProperty("response").GetProperty("status").GetString());

        // Transcription runs while the user speaks: partial deltas come before the completed transcript of the turn.
        JsonElement completed = await client.WaitFor("conversation.item.input_audio_transcription.completed", timeoutMs: 180_000);
        string itemId = completed.GetProperty("item_id").GetString()!;
        JsonElement[] events = [.. client.Events];
        int firstDelta = Array.FindIndex(events, e => e.GetProperty("type").GetString() == "conversation.item.input_audio_transcription.delta" && e.GetProperty("item_id").GetString() == itemId);
        Assert.True(firstDelta >= 0, "no transcription delta for the long turn");
        Assert.True(firstDelta < Array.FindIndex(events, e => e.GetProperty("type").GetString() == "conversation.item.input_audio_transcription.completed"));
        Assert.True(completed.GetProperty("transcript").GetString()!.Split(' ').Length > 20, completed.ToString());

        // The echo answer repeats the first turn's words and is spoken at length.
        int bytes = client.OfType("response.output_audio.delta").Sum(e => Convert.FromBase64String(e.GetProperty("delta").GetString()!).Length);
        Assert.True(bytes / 48 > 2000, $"{bytes / 48} ms of answer audio");
    }

    [Theory]
    [InlineData("silence_3s.wav")]
    [InlineData("noise_3s.wav")]
    public async Task SilenceAndNoiseStartNoTurn(string fixture)
    {
        await using RealtimeSocket client = await RealtimeSocket.ConnectAsync(server);
        await ConfigureAsync(client, AudioFormat.Pcm16);
        await client.AppendAudioAsync(Fixture.Pcm24k(fixture), 4800);
        await BarrierAsync(client);
        Assert.Empty(client.OfType("input_audio_buffer.speech_started"));
        Assert.Empty(client.OfType("response.created"));
    }

    private static async Task ConfigureAsync(RealtimeSocket client, AudioFormat format, int silenceDurationMs = 500)
    {
        string type = format switch { AudioFormat.G711Ulaw => "audio/pcmu", AudioFormat.G711Alaw => "audio/pcma", _ => "audio/pcm" };
        await client.SendAsync(
            "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{" +
            $"\"input\":{{\"format\":{{\"type\":\"{type}\"}},\"transcription\":{{\"model\":\"whisper-1\"}}," +
            $"\"turn_detection\":{{\"type\":\"server_vad\",\"silence_duration_ms\":{silenceDurationMs}}}}}," +
            $"\"output\":{{\"format\":{{\"type\":\"{type}\"}}}}}}}}}}");
        await client.WaitFor("session.updated");
    }

    /// <summary>The session handles events in order: once the answer to a later event arrives, every append before it was processed.</summary>
    private static async Task BarrierAsync(RealtimeSocket client)
    {
        await client.SendAsync("{\"type\":\"conversation.item.retrieve\",\"event_id\":\"barrier\",\"item_id\":\"no_such_item\"}");
        await client.WaitFor("error");
    }

    /// <summary>Position in the event stream of the <paramref name="nth"/> (1-based) event of a type.</summary>
    private static int IndexOf(RealtimeSocket client, string type, int nth)
    {
        int seen = 0;
        int index = 0;
        foreach (string t in client.Types())
        {
            if (t == type && ++seen == nth)
            {
                return index;
            }

            index++;
        }

        return int.MaxValue;
    }
}
