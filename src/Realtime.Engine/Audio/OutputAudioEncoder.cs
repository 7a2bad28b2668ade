using Realtime.Wire.Audio;

namespace Realtime.Engine.Audio;

/// <summary>
/// Streaming conversion of synthesized PCM16 at any rate to the session output format
/// (PCM16 24 kHz or G.711 8 kHz), band-limited resampling included. Not thread-safe.
/// </summary>
public sealed class OutputAudioEncoder
{
    /// <summary>Input samples per internal pass: fixed scratch buffers whatever the chunk size.</summary>
    private const int BlockSamples = 480;

    private readonly PolyphaseResampler? _resampler; // null when the input already has the output rate
    private readonly float[] _input = new float[BlockSamples];
    private readonly float[] _resampled;
    private readonly short[] _pcm;

    public OutputAudioEncoder(int inputSampleRate, AudioFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputSampleRate);
        InputSampleRate = inputSampleRate;
        Format = format;
        int capacity = BlockSamples;
        if (inputSampleRate != format.SampleRate())
        {
            _resampler = new PolyphaseResampler(inputSampleRate, format.SampleRate());
            capacity = Math.Max(_resampler.MaxOutputSamples(BlockSamples), _resampler.MaxFlushSamples);
        }

        _resampled = new float[capacity];
        _pcm = new short[capacity];
    }

    public int InputSampleRate { get; }

    public AudioFormat Format { get; }

    /// <summary>Upper bound of bytes <see cref="Encode"/> writes for <paramref name="inputSamples"/> samples.</summary>
    public int MaxEncodedBytes(int inputSamples)
    {
        if (_resampler is null)
        {
            return inputSamples * Format.BytesPerSample();
        }

        long passes = (inputSamples / BlockSamples) + 1;
        long samples = ((long)inputSamples * _resampler.OutputRate / _resampler.InputRate) + (2 * passes);
        return (int)(samples * Format.BytesPerSample());
    }

    /// <summary>Upper bound of bytes <see cref="Flush"/> writes.</summary>
    public int MaxFlushBytes => (_resampler?.MaxFlushSamples ?? 0) * Format.BytesPerSample();

    /// <summary>Encodes the next piece of the stream; returns bytes written to <paramref name="destination"/>.</summary>
    public int Encode(ReadOnlySpan<short> pcm, Span<byte> destination)
    {
        if (_resampler is null)
        {
            return Write(pcm, destination);
        }

        int written = 0;
        while (!pcm.IsEmpty)
        {
            int count = Math.Min(pcm.Length, BlockSamples);
            Pcm16.ToFloat(pcm[..count], _input);
            int produced = _resampler.Process(_input.AsSpan(0, count), _resampled);
            written += WriteResampled(produced, destination[written..]);
            pcm = pcm[count..];
        }

        return written;
    }

    /// <summary>Writes what the resampler still holds at the end of the stream; returns bytes written.</summary>
    public int Flush(Span<byte> destination)
    {
        if (_resampler is null)
        {
            return 0;
        }

        int produced = _resampler.Flush(_resampled);
        return WriteResampled(produced, destination);
    }

    private int WriteResampled(int samples, Span<byte> destination)
    {
        Pcm16.FromFloat(_resampled.AsSpan(0, samples), _pcm);
        return Write(_pcm.AsSpan(0, samples), destination);
    }

    private int Write(ReadOnlySpan<short> pcm, Span<byte> destination)
    {
        switch (Format)
        {
            case AudioFormat.G711Ulaw:
                G711.EncodeMuLaw(pcm, destination);
                return pcm.Length;
            case AudioFormat.G711Alaw:
                G711.EncodeALaw(pcm, destination);
                return pcm.Length;
            default:
                Pcm16.ToBytes(pcm, destination);
                return pcm.Length * 2;
        }
    }
}
