using Realtime.Wire.Audio;

namespace Realtime.Engine.Audio;

/// <summary>
/// Streaming conversion of appended input audio (session input format) to 16 kHz mono float in [-1, 1],
/// the rate VAD and STT use. Keeps filter state and an odd trailing byte between calls. Not thread-safe.
/// </summary>
public sealed class InputAudioConverter
{
    /// <summary>Decoded samples per internal pass: a fixed scratch buffer whatever the append size.</summary>
    private const int BlockSamples = 2048;

    public const int OutputSampleRate = 16_000;

    private readonly PolyphaseResampler _resampler;
    private readonly float[] _decoded = new float[BlockSamples];
    private byte _carryByte;
    private bool _hasCarry;

    public InputAudioConverter(AudioFormat format)
    {
        Format = format;
        _resampler = new PolyphaseResampler(format.SampleRate(), OutputSampleRate);
    }

    public AudioFormat Format { get; }

    /// <summary>Upper bound of samples <see cref="Convert"/> writes for <paramref name="encodedBytes"/> input bytes.</summary>
    public static int MaxOutputSamples(int encodedBytes, AudioFormat format)
    {
        // +1 input sample for a carried byte; +2 per resampler pass for phase rounding, passes bounded by block count.
        long inputSamples = (encodedBytes / format.BytesPerSample()) + 1;
        long passes = (inputSamples / BlockSamples) + 1;
        return (int)((inputSamples * OutputSampleRate / format.SampleRate()) + (2 * passes));
    }

    /// <summary>Converts the next piece of the stream; returns the number of 16 kHz samples written.</summary>
    public int Convert(ReadOnlySpan<byte> encoded, Span<float> output16k)
    {
        int written = 0;
        if (Format == AudioFormat.Pcm16)
        {
            if (_hasCarry && !encoded.IsEmpty)
            {
                Span<byte> pair = [_carryByte, encoded[0]];
                Pcm16.ToFloat(pair, _decoded);
                written += _resampler.Process(_decoded.AsSpan(0, 1), output16k);
                encoded = encoded[1..];
                _hasCarry = false;
            }

            if ((encoded.Length & 1) != 0)
            {
                _carryByte = encoded[^1];
                _hasCarry = true;
                encoded = encoded[..^1];
            }

            while (!encoded.IsEmpty)
            {
                int bytes = Math.Min(encoded.Length, BlockSamples * 2);
                Pcm16.ToFloat(encoded[..bytes], _decoded);
                written += _resampler.Process(_decoded.AsSpan(0, bytes / 2), output16k[written..]);
                encoded = encoded[bytes..];
            }

            return written;
        }

        while (!encoded.IsEmpty)
        {
            int count = Math.Min(encoded.Length, BlockSamples);
            if (Format == AudioFormat.G711Ulaw)
            {
                G711.DecodeMuLaw(encoded[..count], _decoded.AsSpan(0, count));
            }
            else
            {
                G711.DecodeALaw(encoded[..count], _decoded.AsSpan(0, count));
            }

            written += _resampler.Process(_decoded.AsSpan(0, count), output16k[written..]);
            encoded = encoded[count..];
        }

        return written;
    }

    /// <summary>Forget filter state (a new, unrelated stream follows).</summary>
    public void Reset()
    {
        _resampler.Reset();
        _hasCarry = false;
    }
}
