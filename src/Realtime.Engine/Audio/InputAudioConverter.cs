using Realtime.Wire.Audio;

namespace Realtime.Engine.Audio;

/// <summary>
/// Streaming conversion of appended input audio (session input format) to 16 kHz mono float in [-1, 1],
/// the rate VAD and STT use. Keeps filter state and an odd trailing byte between calls. Not thread-safe.
/// </summary>
public sealed class InputAudioConverter
{
    private const int BlockSamples = PolyphaseResampler.BlockSamples;

    public const int OutputSampleRate = 16_000;

    private readonly PolyphaseResampler _resampler;
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
        // Samples are decoded straight into the resampler's history window: no scratch buffer per session.
        int written = 0;
        if (Format == AudioFormat.Pcm16)
        {
            if (_hasCarry && !encoded.IsEmpty)
            {
                Span<byte> pair = [_carryByte, encoded[0]];
                Pcm16.ToFloat(pair, _resampler.InputWindow);
                written += _resampler.Advance(1, output16k);
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
                int samples = Math.Min(encoded.Length / 2, BlockSamples);
                Pcm16.ToFloat(encoded[..(samples * 2)], _resampler.InputWindow);
                written += _resampler.Advance(samples, output16k[written..]);
                encoded = encoded[(samples * 2)..];
            }

            return written;
        }

        while (!encoded.IsEmpty)
        {
            int count = Math.Min(encoded.Length, BlockSamples);
            var window = _resampler.InputWindow[..count];
            if (Format == AudioFormat.G711Ulaw)
            {
                G711.DecodeMuLaw(encoded[..count], window);
            }
            else
            {
                G711.DecodeALaw(encoded[..count], window);
            }

            written += _resampler.Advance(count, output16k[written..]);
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
