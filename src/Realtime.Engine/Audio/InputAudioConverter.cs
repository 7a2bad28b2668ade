using Realtime.Wire.Audio;

namespace Realtime.Engine.Audio;

/// <summary>
/// Streaming conversion of appended input audio (session input format) to 16 kHz mono float in [-1, 1],
/// the rate VAD and STT use. Keeps filter state and an odd trailing byte between calls. Not thread-safe.
/// </summary>
public sealed class InputAudioConverter
{
    public InputAudioConverter(AudioFormat format) => Format = format;

    public AudioFormat Format { get; }

    /// <summary>Upper bound of samples <see cref="Convert"/> writes for <paramref name="encodedBytes"/> input bytes.</summary>
    public static int MaxOutputSamples(int encodedBytes, AudioFormat format) => throw new NotImplementedException();

    /// <summary>Converts the next piece of the stream; returns the number of 16 kHz samples written.</summary>
    public int Convert(ReadOnlySpan<byte> encoded, Span<float> output16k) => throw new NotImplementedException();

    /// <summary>Forget filter state (a new, unrelated stream follows).</summary>
    public void Reset() => throw new NotImplementedException();
}
