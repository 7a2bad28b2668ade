using Realtime.Engine.Audio;

namespace Realtime.Engine.Tests.Audio;

public sealed class PolyphaseResamplerTests
{
    public static TheoryData<int, int> Ratios => new()
    {
        { 24_000, 16_000 }, { 8_000, 16_000 }, { 16_000, 24_000 }, { 24_000, 8_000 },
        { 22_050, 24_000 }, { 44_100, 24_000 }, { 22_050, 8_000 }, { 16_000, 8_000 },
    };

    [Theory]
    [MemberData(nameof(Ratios))]
    public void Sine_1kHz_keeps_frequency_and_amplitude(int inputRate, int outputRate)
    {
        var resampler = new PolyphaseResampler(inputRate, outputRate);
        var input = Tone.Sine(1000, inputRate, inputRate); // 1 s
        var output = new float[resampler.MaxOutputSamples(input.Length) + resampler.MaxFlushSamples];
        int written = resampler.Process(input, output);
        written += resampler.Flush(output.AsSpan(written));

        Assert.Equal(outputRate, written); // exactly ceil(1 s * rate)
        // Skip the edges where the filter sees the zero prelude/padding.
        var middle = output.AsSpan(outputRate / 10, outputRate * 8 / 10);
        Assert.InRange(Tone.Amplitude(middle, 1000, outputRate), 0.495, 0.505);
        Assert.InRange(Tone.ZeroCrossingFrequency(middle, outputRate), 999.0, 1001.0);
    }

    [Theory]
    [InlineData(24_000, 16_000, 10_000)] // aliases to 6 kHz
    [InlineData(24_000, 8_000, 5_000)] // aliases to 3 kHz
    [InlineData(44_100, 24_000, 15_000)] // aliases to 9 kHz
    public void Tone_above_new_Nyquist_is_attenuated_more_than_40dB(int inputRate, int outputRate, int frequency)
    {
        var resampler = new PolyphaseResampler(inputRate, outputRate);
        var input = Tone.Sine(frequency, inputRate, inputRate);
        var output = new float[resampler.MaxOutputSamples(input.Length)];
        int written = resampler.Process(input, output);
        var middle = output.AsSpan(outputRate / 10, written - (outputRate / 5));
        double alias = outputRate - frequency;
        double level = Math.Max(Tone.Amplitude(middle, alias, outputRate), Tone.Amplitude(middle, frequency % outputRate, outputRate));
        double rmsLevel = Math.Sqrt(middle.ToArray().Average(x => (double)x * x)) * Math.Sqrt(2);
        Assert.True(20 * Math.Log10(Math.Max(level, rmsLevel) / 0.5) < -40, $"alias level {20 * Math.Log10(Math.Max(level, rmsLevel) / 0.5):F1} dB");
    }

    [Theory]
    [MemberData(nameof(Ratios))]
    public void Chunked_stream_equals_one_shot_bit_for_bit(int inputRate, int outputRate)
    {
        var input = Tone.Sine(440, inputRate, inputRate / 2);
        var random = new Random(42);
        for (int i = 0; i < input.Length; i++)
        {
            input[i] += (float)((random.NextDouble() - 0.5) * 0.2);
        }

        var oneShot = Run(new PolyphaseResampler(inputRate, outputRate), input, [input.Length]);
        var chunked = Run(new PolyphaseResampler(inputRate, outputRate), input, [1, 7, 160, 480, 4096, 5000, 3, 9999]);
        Assert.Equal(oneShot, chunked);
    }

    [Fact]
    public void Lengths_are_exact_over_a_long_stream()
    {
        // 10 minutes of 44.1 kHz in odd-sized chunks: output count must be ceil(n * 80 / 147), no drift.
        var resampler = new PolyphaseResampler(44_100, 24_000);
        var chunk = new float[4410 + 7];
        var output = new float[resampler.MaxOutputSamples(chunk.Length)];
        long inputs = 0, outputs = 0;
        for (int i = 0; i < 6000; i++)
        {
            int length = chunk.Length - (i % 13);
            inputs += length;
            outputs += resampler.Process(chunk.AsSpan(0, length), output);
        }

        outputs += resampler.Flush(output);
        Assert.Equal(((inputs * 80) + 146) / 147, outputs);
    }

    private static float[] Run(PolyphaseResampler resampler, float[] input, int[] chunkSizes)
    {
        var result = new List<float>();
        var output = new float[resampler.MaxOutputSamples(input.Length) + resampler.MaxFlushSamples];
        int offset = 0, chunk = 0;
        while (offset < input.Length)
        {
            int length = Math.Min(chunkSizes[chunk++ % chunkSizes.Length], input.Length - offset);
            int written = resampler.Process(input.AsSpan(offset, length), output);
            result.AddRange(output.AsSpan(0, written));
            offset += length;
        }

        int flushed = resampler.Flush(output);
        result.AddRange(output.AsSpan(0, flushed));
        return [.. result];
    }
}
