using Realtime.Wire.Audio;

namespace Realtime.Wire.Tests.Audio;

public sealed class Pcm16Tests
{
    [Fact]
    public void Bytes_are_little_endian()
    {
        short[] samples = [1, -2, 0x1234, short.MinValue];
        var bytes = new byte[8];
        Pcm16.ToBytes(samples, bytes);
        Assert.Equal(new byte[] { 0x01, 0x00, 0xFE, 0xFF, 0x34, 0x12, 0x00, 0x80 }, bytes);
        var back = new short[4];
        Pcm16.ToSamples(bytes, back);
        Assert.Equal(samples, back);
    }

    [Fact]
    public void ToFloat_scales_by_one_over_32768_on_vector_and_tail_paths()
    {
        short[] samples = Enumerable.Range(0, 37).Select(i => (short)((i * 1771) - 32768)).ToArray();
        var floats = new float[samples.Length];
        Pcm16.ToFloat(samples, floats);
        for (int i = 0; i < samples.Length; i++)
        {
            Assert.Equal(samples[i] / 32768f, floats[i]);
        }

        var bytes = new byte[samples.Length * 2];
        Pcm16.ToBytes(samples, bytes);
        var fromBytes = new float[samples.Length];
        Pcm16.ToFloat(bytes, fromBytes);
        Assert.Equal(floats, fromBytes);
    }

    [Fact]
    public void FromFloat_rounds_and_saturates()
    {
        float[] input = [0f, 0.5f, -0.5f, 1f, -1f, 1.5f, -1.5f, 1.4f / 32768f, 1.6f / 32768f];
        var output = new short[input.Length];
        Pcm16.FromFloat(input, output);
        Assert.Equal(new short[] { 0, 16384, -16384, 32767, -32768, 32767, -32768, 1, 2 }, output);
    }

    [Fact]
    public void FromFloat_vector_path_matches_the_scalar_definition()
    {
        var random = new Random(7);
        float[] input = Enumerable.Range(0, 1003).Select(_ => (float)((random.NextDouble() * 2.4) - 1.2)).ToArray();
        input[0] = 0.5f / 32768f; // tie: rounds to even (0)
        input[1] = 1.5f / 32768f; // tie: rounds to even (2)
        var output = new short[input.Length];
        Pcm16.FromFloat(input, output);
        for (int i = 0; i < input.Length; i++)
        {
            Assert.Equal((short)Math.Clamp(MathF.Round(input[i] * 32768f), short.MinValue, short.MaxValue), output[i]);
        }

        Assert.Equal(0, output[0]);
        Assert.Equal(2, output[1]);
    }
}
