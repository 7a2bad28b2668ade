using Realtime.Engine.Audio;
using Realtime.Engine.Tests.TurnDetection;
using Realtime.Engine.TurnDetection;
using Realtime.Engines.Local.Silero;
using Realtime.Wire.Audio;

namespace Realtime.Engine.Tests.Audio;

/// <summary>Hot paths allocate nothing once warm: measured on this thread around repeated calls.</summary>
public sealed class AllocationGateTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    [Theory]
    [InlineData(AudioFormat.Pcm16)]
    [InlineData(AudioFormat.G711Ulaw)]
    [InlineData(AudioFormat.G711Alaw)]
    public void Convert_allocates_nothing(AudioFormat format)
    {
        var converter = new InputAudioConverter(format);
        byte[] chunk = InputAudioConverterTests.Encode(Tone.SinePcm(440, format.SampleRate(), format.SampleRate() / 25), format); // 40 ms
        var output = new float[InputAudioConverter.MaxOutputSamples(chunk.Length, format)];
        for (int i = 0; i < 30; i++)
        {
            converter.Convert(chunk.AsSpan(0, chunk.Length - (i % 3)), output); // warm every path, tiering included
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            converter.Convert(chunk.AsSpan(0, chunk.Length - (i % 3)), output);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Theory]
    [InlineData(22_050, AudioFormat.Pcm16)]
    [InlineData(24_000, AudioFormat.Pcm16)]
    [InlineData(24_000, AudioFormat.G711Ulaw)]
    [InlineData(16_000, AudioFormat.G711Alaw)]
    public void Encode_allocates_nothing(int rate, AudioFormat format)
    {
        var encoder = new OutputAudioEncoder(rate, format);
        short[] chunk = Tone.SinePcm(440, rate, rate / 10);
        var destination = new byte[encoder.MaxEncodedBytes(chunk.Length) + encoder.MaxFlushBytes];
        for (int i = 0; i < 10; i++)
        {
            encoder.Encode(chunk, destination);
            encoder.Flush(destination);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 50; i++)
        {
            encoder.Encode(chunk, destination);
        }

        encoder.Flush(destination);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Per_session_input_audio_state_stays_under_16KB()
    {
        // Design budget: an idle session holds < 16 KB of managed heap; converter + turn detector + Silero stream
        // are created per session, so they must fit well inside it.
        static long Measure(SileroSpeechDetector detector)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var converter = new InputAudioConverter(AudioFormat.Pcm16);
            using var turns = new TurnDetector(detector, new TurnDetectionSettings());
            long bytes = GC.GetAllocatedBytesForCurrentThread() - before;
            GC.KeepAlive(converter);
            return bytes;
        }

        Measure(fixture.Detector); // type initialization and first-use caches
        long bytes = Measure(fixture.Detector);
        Assert.True(bytes < 12 * 1024, $"{bytes} bytes per session");
    }

    /// <remarks>
    /// Warm-up feeds the whole fixture twice, so every path (speech start, pause, stop, second turn) has run and every
    /// method passed the tiering call-count threshold before measuring; the old 1 s warm-up never reached a
    /// SpeechStopped. Each measured pass is the whole fixture as 156 appends of 40 ms: an allocation per append shows
    /// up in every pass, while a one-off runtime event on a loaded machine (the one 4,552 B failure in 4 suite runs;
    /// concurrent GCs and the ORT call were ruled out, tier-up timing was not) cannot recur in each of them. So the
    /// gate requires a pass of exactly 0 B within five and reports every pass.
    /// </remarks>
    [Theory]
    [InlineData(false)]
    [InlineData(true)] // echo guard on: the frame level is measured too
    public void TurnDetector_with_Silero_allocates_nothing_per_append(bool echoGuard)
    {
        float[] audio = SileroSpeechDetectorTests.Load16k("two_turns.wav");
        using var detector = new TurnDetector(fixture.Detector, new TurnDetectionSettings()) { EchoGuardUntilMs = echoGuard ? long.MaxValue : 0 };
        var events = new List<TurnEvent>(16);
        for (int warm = 0; warm < 2; warm++)
        {
            events.Clear();
            FeedInAppends(detector, audio, events);
            Assert.Equal(4, events.Count); // two turns (full-level speech passes the guard): every path ran
        }

        var passes = new List<long>(5);
        for (int pass = 0; pass < 5 && (passes.Count == 0 || passes[^1] != 0); pass++)
        {
            events.Clear();
            long before = GC.GetAllocatedBytesForCurrentThread();
            FeedInAppends(detector, audio, events);
            passes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(4, events.Count);
        }

        Assert.True(passes[^1] == 0, $"bytes per pass: {string.Join(", ", passes)}");

        static void FeedInAppends(TurnDetector detector, float[] audio, List<TurnEvent> events)
        {
            for (int offset = 0; offset + 640 <= audio.Length; offset += 640)
            {
                detector.Process(audio.AsSpan(offset, 640), events); // 40 ms appends, turns included
            }
        }
    }

    [Fact]
    public void Silero_batch_allocates_nothing_once_its_size_was_seen()
    {
        var detector = fixture.Detector;
        using var batch = detector.CreateBatch(8);
        var streams = Enumerable.Range(0, 8).Select(_ => detector.OpenStream()).ToArray();
        var frames = Tone.Sine(300, 16_000, 512 * 8, 0.1);
        var probabilities = new float[8];
        for (int i = 0; i < 5; i++)
        {
            batch.ProcessBatch(streams, frames, probabilities);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 20; i++)
        {
            batch.ProcessBatch(streams, frames, probabilities);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        foreach (var stream in streams)
        {
            stream.Dispose();
        }
    }
}
