using Realtime.Engine.Audio;
using Realtime.Engine.Backends;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.TurnDetection;
using Realtime.Wire.Audio;

namespace Realtime.Engine.Tests.TurnDetection;

/// <summary>
/// Streams a fixture through InputAudioConverter + TurnDetector in client-sized chunks, faster than real time
/// (turn detection runs on audio time, so pacing does not change the result).
/// </summary>
internal static class FixtureTurns
{
    public static List<TurnEvent> Detect(ISpeechDetector detector, string fixture, int chunkMs = 40, TurnDetectionSettings? settings = null)
    {
        (AudioFormat format, byte[] bytes) = Load(fixture);
        var converter = new InputAudioConverter(format);
        using var turns = new TurnDetector(detector, settings ?? new TurnDetectionSettings());
        var events = new List<TurnEvent>();
        int chunkBytes = format.BytesPerMillisecond() * chunkMs;
        var samples = new float[InputAudioConverter.MaxOutputSamples(chunkBytes, format)];
        for (int offset = 0; offset < bytes.Length; offset += chunkBytes)
        {
            int written = converter.Convert(bytes.AsSpan(offset, Math.Min(chunkBytes, bytes.Length - offset)), samples);
            turns.Process(samples.AsSpan(0, written), events);
        }

        return events;
    }

    /// <summary>16 kHz WAVs are fed straight to the detector (the 16 kHz path), others through the converter.</summary>
    public static List<TurnEvent> Detect16k(ISpeechDetector detector, string fixture, int chunkMs = 40)
    {
        var (rate, pcm) = AudioFixtures.ReadWav(fixture);
        Assert.Equal(16_000, rate);
        var samples = new float[pcm.Length / 2];
        Pcm16.ToFloat(pcm, samples);
        using var turns = new TurnDetector(detector, new TurnDetectionSettings());
        var events = new List<TurnEvent>();
        int chunk = 16 * chunkMs;
        for (int offset = 0; offset < samples.Length; offset += chunk)
        {
            turns.Process(samples.AsSpan(offset, Math.Min(chunk, samples.Length - offset)), events);
        }

        return events;
    }

    public static string Describe(List<TurnEvent> events) => string.Join(", ", events.Select(e => $"{e.Kind}@{e.AudioMs}"));

    private static (AudioFormat Format, byte[] Bytes) Load(string fixture)
    {
        if (fixture.EndsWith(".ulaw", StringComparison.Ordinal))
        {
            return (AudioFormat.G711Ulaw, AudioFixtures.ReadRaw(fixture));
        }

        if (fixture.EndsWith(".alaw", StringComparison.Ordinal))
        {
            return (AudioFormat.G711Alaw, AudioFixtures.ReadRaw(fixture));
        }

        var (rate, pcm) = AudioFixtures.ReadWav(fixture);
        Assert.Equal(24_000, rate);
        return (AudioFormat.Pcm16, pcm);
    }
}
