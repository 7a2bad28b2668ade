using Realtime.Engine.Audio;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Builtin;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engines.Local.Silero;
using Realtime.Wire.Audio;

namespace Realtime.Engine.Tests.TurnDetection;

public sealed class SileroSpeechDetectorTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    private readonly SileroSpeechDetector _detector = fixture.Detector;

    [Fact]
    public void Names_and_frame_size_match_the_contract()
    {
        Assert.Equal("builtin:silero", _detector.Name);
        Assert.Equal(512, _detector.FrameSamples);
        Assert.Equal("builtin:energy", new EnergySpeechDetector().Name);
    }

    [Fact]
    public void Missing_model_is_a_clear_error()
    {
        var error = Assert.Throws<FileNotFoundException>(() => new SileroSpeechDetector("/nonexistent/silero.onnx"));
        Assert.Contains("builtin:energy", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Speech_frames_score_high_and_silence_low()
    {
        float[] audio = Load16k("weather_question.wav");
        using var stream = _detector.OpenStream();
        float[] probabilities = Frames(stream, audio);
        Assert.All(probabilities[..14], p => Assert.True(p < 0.1f, $"silence scored {p}")); // first 448 ms
        Assert.True(probabilities[20..60].Average() > 0.8, "speech scored low");
    }

    [Fact]
    public void Reset_restores_the_fresh_stream_output()
    {
        float[] audio = Load16k("two_turns.wav");
        using var stream = _detector.OpenStream();
        float[] first = Frames(stream, audio.AsSpan(0, 512 * 40));
        stream.Reset();
        float[] second = Frames(stream, audio.AsSpan(0, 512 * 40));
        Assert.Equal(first, second);
    }

    [Fact]
    public void Batched_inference_matches_each_stream_run_alone()
    {
        // Three streams at different offsets of different files, so states and contexts all differ.
        float[][] audio = [Load16k("weather_question.wav"), Load16k("two_turns.wav"), Load16k("short_pause.wav")];
        int frames = 60;
        var alone = new float[audio.Length][];
        for (int s = 0; s < audio.Length; s++)
        {
            using var stream = _detector.OpenStream();
            alone[s] = Frames(stream, audio[s].AsSpan(512 * s * 3, 512 * frames));
        }

        using var batch = _detector.CreateBatch(4);
        var streams = Enumerable.Range(0, audio.Length).Select(_ => _detector.OpenStream()).ToArray();
        var input = new float[512 * audio.Length];
        var probabilities = new float[audio.Length];
        for (int f = 0; f < frames; f++)
        {
            for (int s = 0; s < audio.Length; s++)
            {
                audio[s].AsSpan((512 * s * 3) + (512 * f), 512).CopyTo(input.AsSpan(512 * s));
            }

            // Every other frame one stream runs alone, to show batch and single calls interleave on the same state.
            if (f % 2 == 1)
            {
                batch.ProcessBatch(streams, input, probabilities);
            }
            else
            {
                batch.ProcessBatch(streams.AsSpan(0, 2), input, probabilities);
                probabilities[2] = streams[2].Process(input.AsSpan(1024, 512));
            }

            for (int s = 0; s < audio.Length; s++)
            {
                Assert.Equal(alone[s][f], probabilities[s], 4);
            }
        }

        foreach (var stream in streams)
        {
            stream.Dispose();
        }
    }

    [Fact]
    public void Streams_run_concurrently_on_the_shared_session_with_the_same_results()
    {
        float[] audio = Load16k("weather_question.wav");
        using var reference = _detector.OpenStream();
        float[] expected = Frames(reference, audio);
        var results = new float[4][];
        Parallel.For(0, results.Length, i =>
        {
            using var stream = _detector.OpenStream();
            results[i] = Frames(stream, audio);
        });
        Assert.All(results, r => Assert.Equal(expected, r));
    }

    internal static float[] Load16k(string name)
    {
        var (_, pcm) = AudioFixtures.ReadWav(name);
        var converter = new InputAudioConverter(AudioFormat.Pcm16);
        var output = new float[InputAudioConverter.MaxOutputSamples(pcm.Length, AudioFormat.Pcm16)];
        int written = converter.Convert(pcm, output);
        return output[..written];
    }

    private static float[] Frames(ISpeechDetectorStream stream, ReadOnlySpan<float> audio)
    {
        var result = new float[audio.Length / 512];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = stream.Process(audio.Slice(i * 512, 512));
        }

        return result;
    }
}
