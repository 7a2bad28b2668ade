using System.Buffers.Binary;
using Realtime.Engine.Audio;

namespace Realtime.Host.BackendMode;

/// <summary>
/// The WAV files LocalAI exchanges by path: 16-bit PCM in (any rate, first channel kept, resampled to the
/// 16 kHz the recognizers take) and mono 16-bit PCM out.
/// </summary>
internal static class WaveFiles
{
    public const int HeaderSize = 44;

    /// <summary>Reads a 16-bit PCM WAV as mono samples in [-1, 1] at <paramref name="targetRate"/>.</summary>
    public static float[] ReadMono(string path, int targetRate, out double durationSeconds)
    {
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> span = bytes;
        if (span.Length < 12 || !span[..4].SequenceEqual("RIFF"u8) || !span[8..12].SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException($"{path} is not a RIFF/WAVE file.");
        }

        int channels = 0;
        int rate = 0;
        int position = 12;
        while (position + 8 <= span.Length)
        {
            ReadOnlySpan<byte> id = span.Slice(position, 4);
            int size = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(span[(position + 4)..]), (uint)(span.Length - position - 8));
            int body = position + 8;
            if (id.SequenceEqual("fmt "u8) && size >= 16)
            {
                int format = BinaryPrimitives.ReadUInt16LittleEndian(span[body..]);
                channels = BinaryPrimitives.ReadUInt16LittleEndian(span[(body + 2)..]);
                rate = BinaryPrimitives.ReadInt32LittleEndian(span[(body + 4)..]);
                int bits = BinaryPrimitives.ReadUInt16LittleEndian(span[(body + 14)..]);
                if (format is not (1 or 0xFFFE) || bits != 16 || channels == 0 || rate <= 0)
                {
                    throw new InvalidDataException($"{path}: unsupported WAV format {format}, {bits} bits; need 16-bit PCM.");
                }
            }
            else if (id.SequenceEqual("data"u8))
            {
                if (rate == 0)
                {
                    throw new InvalidDataException($"{path}: data chunk before fmt chunk.");
                }

                return Decode(span.Slice(body, size), channels, rate, targetRate, out durationSeconds);
            }

            position = body + size + (size & 1);
        }

        throw new InvalidDataException($"{path} has no data chunk.");
    }

    private static float[] Decode(ReadOnlySpan<byte> data, int channels, int rate, int targetRate, out double durationSeconds)
    {
        int frames = data.Length / (2 * channels);
        durationSeconds = frames / (double)rate;
        var samples = new float[frames];
        for (int i = 0; i < frames; i++)
        {
            samples[i] = BinaryPrimitives.ReadInt16LittleEndian(data[(i * 2 * channels)..]) / 32768f;
        }

        if (rate == targetRate)
        {
            return samples;
        }

        var resampler = new PolyphaseResampler(rate, targetRate);
        var output = new float[resampler.MaxOutputSamples(frames) + resampler.MaxFlushSamples];
        int written = resampler.Process(samples, output);
        written += resampler.Flush(output.AsSpan(written));
        return output[..written];
    }

    /// <summary>Writes mono 16-bit PCM with a canonical 44-byte header.</summary>
    public static void WriteMono(string path, ReadOnlySpan<short> samples, int sampleRate)
    {
        var bytes = new byte[HeaderSize + (samples.Length * 2)];
        Span<byte> h = bytes;
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteInt32LittleEndian(h[4..], bytes.Length - 8);
        "WAVEfmt "u8.CopyTo(h[8..]);
        BinaryPrimitives.WriteInt32LittleEndian(h[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(h[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(h[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(h[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(h[28..], sampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(h[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(h[34..], 16);
        "data"u8.CopyTo(h[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(h[40..], samples.Length * 2);
        for (int i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(h[(HeaderSize + (i * 2))..], samples[i]);
        }

        File.WriteAllBytes(path, bytes);
    }
}
