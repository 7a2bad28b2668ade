using Realtime.Wire.Audio;

namespace Realtime.Engine.Audio;

/// <summary>
/// Streaming conversion of synthesized PCM16 at any rate to the session output format
/// (PCM16 24 kHz or G.711 8 kHz), band-limited resampling included. Not thread-safe.
/// </summary>
public sealed class OutputAudioEncoder
{
    public OutputAudioEncoder(int inputSampleRate, AudioFormat format)
    {
        InputSampleRate = inputSampleRate;
        Format = format;
    }

    public int InputSampleRate { get; }

    public AudioFormat Format { get; }

    /// <summary>Upper bound of bytes <see cref="Encode"/> writes for <paramref name="inputSamples"/> samples.</summary>
    public int MaxEncodedBytes(int inputSamples) => throw new NotImplementedException();

    /// <summary>Encodes the next piece of the stream; returns bytes written to <paramref name="destination"/>.</summary>
    public int Encode(ReadOnlySpan<short> pcm, Span<byte> destination) => throw new NotImplementedException();

    /// <summary>Writes what the resampler still holds at the end of the stream; returns bytes written.</summary>
    public int Flush(Span<byte> destination) => throw new NotImplementedException();
}
