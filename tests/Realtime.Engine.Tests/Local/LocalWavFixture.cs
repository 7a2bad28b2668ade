using System.Buffers.Binary;

namespace Realtime.Engine.Tests.Local;

/// <summary>Reads the PCM16 mono fixtures in /work/shared/audio and converts them to 16 kHz floats for the recognizer.</summary>
internal static class LocalWavFixture
{
    public const string Directory = "/work/shared/audio";

    public static (short[] Samples, int SampleRate) Read(string name)
    {
        var bytes = File.ReadAllBytes(Path.Combine(Directory, name));
        var position = 12;
        var sampleRate = 0;
        while (position + 8 <= bytes.Length)
        {
            var id = System.Text.Encoding.ASCII.GetString(bytes, position, 4);
            var size = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(position + 4));
            var body = position + 8;
            if (id == "fmt ")
            {
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(body + 4));
            }
            else if (id == "data")
            {
                size = Math.Min(size, bytes.Length - body);
                var samples = new short[size / 2];
                for (var i = 0; i < samples.Length; i++)
                {
                    samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(body + (2 * i)));
                }

                return (samples, sampleRate);
            }

            position = body + size + (size & 1);
        }

        throw new InvalidDataException($"{name}: no data chunk");
    }

    /// <summary>16 kHz floats; other rates go through a linear-interpolation resampler (good enough for tests).</summary>
    public static float[] Read16k(string name)
    {
        var (samples, rate) = Read(name);
        if (rate == 16000)
        {
            return Array.ConvertAll(samples, s => s / 32768f);
        }

        var length = (int)((long)samples.Length * 16000 / rate);
        var output = new float[length];
        var step = rate / 16000.0;
        for (var i = 0; i < length; i++)
        {
            var x = i * step;
            var left = (int)x;
            var right = Math.Min(left + 1, samples.Length - 1);
            var fraction = (float)(x - left);
            output[i] = ((samples[left] * (1 - fraction)) + (samples[right] * fraction)) / 32768f;
        }

        return output;
    }
}
