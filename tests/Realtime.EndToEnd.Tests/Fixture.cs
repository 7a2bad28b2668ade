using Realtime.Engine.Audio;
using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests;

/// <summary>The shared speech fixtures as the bytes a client would append in a given input format.</summary>
internal static class Fixture
{
    /// <summary>PCM16 24 kHz bytes of a WAV fixture (16 kHz files are resampled the way a client would).</summary>
    public static byte[] Pcm24k(string name)
    {
        byte[] wav = File.ReadAllBytes(Repo.Audio(name));
        (int rate, byte[] data) = ReadWav(wav);
        if (rate == 24_000)
        {
            return data;
        }

        short[] samples = new short[data.Length / 2];
        Pcm16.ToSamples(data, samples);
        var encoder = new OutputAudioEncoder(rate, AudioFormat.Pcm16);
        byte[] output = new byte[encoder.MaxEncodedBytes(samples.Length) + 4096];
        int written = encoder.Encode(samples, output);
        written += encoder.Flush(output.AsSpan(written));
        return output[..written];
    }

    /// <summary>A raw G.711 fixture (8 kHz, no header).</summary>
    public static byte[] Raw(string name) => File.ReadAllBytes(Repo.Audio(name));

    public static byte[] Silence(AudioFormat format, int ms)
    {
        byte[] bytes = new byte[ms * format.BytesPerMillisecond()];
        if (format != AudioFormat.Pcm16)
        {
            Array.Fill(bytes, format == AudioFormat.G711Ulaw ? G711.EncodeMuLaw(0) : G711.EncodeALaw(0));
        }

        return bytes;
    }

    private static (int Rate, byte[] Data) ReadWav(byte[] wav)
    {
        int rate = 0;
        for (int offset = 12; offset + 8 <= wav.Length;)
        {
            string id = System.Text.Encoding.ASCII.GetString(wav, offset, 4);
            int size = BitConverter.ToInt32(wav, offset + 4);
            if (id == "fmt ")
            {
                rate = BitConverter.ToInt32(wav, offset + 12);
            }
            else if (id == "data")
            {
                return (rate, wav.AsSpan(offset + 8, Math.Min(size, wav.Length - offset - 8)).ToArray());
            }

            offset += 8 + size + (size & 1);
        }

        throw new InvalidDataException("no data chunk");
    }
}
