using Realtime.Engine.Audio;
using Realtime.Wire.Audio;

namespace Realtime.Engine.Tests.Audio;

public sealed class InputAudioConverterTests
{
    public static TheoryData<AudioFormat> Formats => new() { AudioFormat.Pcm16, AudioFormat.G711Ulaw, AudioFormat.G711Alaw };

    [Theory]
    [MemberData(nameof(Formats))]
    public void Chunks_of_any_size_give_the_same_output_as_one_call(AudioFormat format)
    {
        byte[] encoded = Encode(Tone.SinePcm(700, format.SampleRate(), format.SampleRate()), format);
        float[] oneShot = Convert(format, encoded, [encoded.Length]);
        // Odd sizes split PCM16 samples between calls; 1 byte at a time is the extreme case.
        Assert.Equal(oneShot, Convert(format, encoded, [1]));
        Assert.Equal(oneShot, Convert(format, encoded, [3, 961, 1, 4800, 17, 9999]));
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void One_second_of_1kHz_becomes_16000_samples_of_1kHz(AudioFormat format)
    {
        byte[] encoded = Encode(Tone.SinePcm(1000, format.SampleRate(), format.SampleRate()), format);
        float[] output = Convert(format, encoded, [960]);
        // The centred filter holds back half its length until more audio comes (no flush on input).
        var converter = new InputAudioConverter(format);
        Assert.InRange(output.Length, 16_000 - 64, 16_000);
        var middle = output.AsSpan(1600, 12_800);
        Assert.InRange(Tone.ZeroCrossingFrequency(middle, 16_000), 999.0, 1001.0);
        Assert.InRange(Tone.Amplitude(middle, 1000, 16_000), 0.48, 0.52); // G.711 quantization included
        Assert.Equal(format, converter.Format);
    }

    [Fact]
    public void Reset_forgets_the_carried_byte_and_filter_history()
    {
        byte[] encoded = Encode(Tone.SinePcm(300, 24_000, 2400), AudioFormat.Pcm16);
        var converter = new InputAudioConverter(AudioFormat.Pcm16);
        var output = new float[InputAudioConverter.MaxOutputSamples(encoded.Length, AudioFormat.Pcm16)];
        converter.Convert(encoded.AsSpan(0, 1001), output);
        converter.Reset();
        int written = converter.Convert(encoded, output);
        Assert.Equal(Convert(AudioFormat.Pcm16, encoded, [encoded.Length]), output.AsSpan(0, written).ToArray());
    }

    internal static byte[] Encode(short[] pcm, AudioFormat format)
    {
        byte[] encoded = new byte[pcm.Length * format.BytesPerSample()];
        switch (format)
        {
            case AudioFormat.G711Ulaw: G711.EncodeMuLaw(pcm, encoded); break;
            case AudioFormat.G711Alaw: G711.EncodeALaw(pcm, encoded); break;
            default: Pcm16.ToBytes(pcm, encoded); break;
        }

        return encoded;
    }

    private static float[] Convert(AudioFormat format, byte[] encoded, int[] chunkSizes)
    {
        var converter = new InputAudioConverter(format);
        var result = new List<float>();
        int offset = 0, chunk = 0;
        while (offset < encoded.Length)
        {
            int length = Math.Min(chunkSizes[chunk++ % chunkSizes.Length], encoded.Length - offset);
            var output = new float[InputAudioConverter.MaxOutputSamples(length, format)];
            int written = converter.Convert(encoded.AsSpan(offset, length), output);
            result.AddRange(output.AsSpan(0, written));
            offset += length;
        }

        return [.. result];
    }
}
