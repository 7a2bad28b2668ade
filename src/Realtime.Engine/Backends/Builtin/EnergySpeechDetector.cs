namespace Realtime.Engine.Backends.Builtin;

/// <summary>
/// Fallback VAD when the Silero model is absent: frame RMS in dBFS mapped linearly to a pseudo-probability,
/// 0.5 at <see cref="MidpointDbfs"/>. Cheap and stateless, but it hears any loud sound as speech.
/// </summary>
public sealed class EnergySpeechDetector : ISpeechDetector
{
    /// <summary>Same frame as Silero so turn timing has the same granularity with either detector.</summary>
    public const int FrameSize = 512;

    /// <summary>Level heard as probability 0.5: quiet speech is well above, room noise well below.</summary>
    public const float MidpointDbfs = -36f;

    /// <summary>Decibels from probability 0 to 1.</summary>
    public const float SpanDb = 20f;

    public string Name => "builtin:energy";

    public int FrameSamples => FrameSize;

    public ISpeechDetectorStream OpenStream() => new EnergySpeechDetectorStream();

    /// <summary>Probability for one frame; exposed for tests and the stream.</summary>
    public static float Probability(ReadOnlySpan<float> frame)
    {
        double sum = 0;
        foreach (float sample in frame)
        {
            sum += sample * sample;
        }

        double rms = Math.Sqrt(sum / Math.Max(1, frame.Length));
        float dbfs = rms <= 1e-9 ? -180f : (float)(20 * Math.Log10(rms));
        return Math.Clamp(0.5f + ((dbfs - MidpointDbfs) / SpanDb), 0f, 1f);
    }
}
