using Realtime.Engine.Audio;
using Realtime.Wire.Audio;

namespace Realtime.Engine.Tests.Audio;

public sealed class OutputAudioEncoderTests
{
    [Theory]
    [InlineData(16_000, AudioFormat.Pcm16, 48_000)]
    [InlineData(22_050, AudioFormat.Pcm16, 48_000)]
    [InlineData(24_000, AudioFormat.Pcm16, 48_000)]
    [InlineData(44_100, AudioFormat.Pcm16, 48_000)]
    [InlineData(16_000, AudioFormat.G711Ulaw, 8_000)]
    [InlineData(22_050, AudioFormat.G711Alaw, 8_000)]
    [InlineData(24_000, AudioFormat.G711Ulaw, 8_000)]
    [InlineData(24_000, AudioFormat.G711Alaw, 8_000)]
    public void One_second_encodes_to_exactly_one_second_of_the_same_tone(int inputRate, AudioFormat format, int expectedBytes)
    {
        var encoder = new OutputAudioEncoder(inputRate, format);
        short[] pcm = Tone.SinePcm(1000, inputRate, inputRate);
        var bytes = new List<byte>();
        // TTS-sized chunks of 20 ms.
        int chunk = inputRate / 50;
        for (int offset = 0; offset < pcm.Length; offset += chunk)
        {
            var destination = new byte[encoder.MaxEncodedBytes(chunk)];
            int written = encoder.Encode(pcm.AsSpan(offset, Math.Min(chunk, pcm.Length - offset)), destination);
            bytes.AddRange(destination.AsSpan(0, written));
        }

        var tail = new byte[encoder.MaxFlushBytes];
        bytes.AddRange(tail.AsSpan(0, encoder.Flush(tail)));

        Assert.Equal(expectedBytes, bytes.Count);
        float[] decoded = Decode([.. bytes], format);
        int rate = format.SampleRate();
        var middle = decoded.AsSpan(rate / 10, rate * 8 / 10);
        Assert.InRange(Tone.ZeroCrossingFrequency(middle, rate), 999.0, 1001.0);
        Assert.InRange(Tone.Amplitude(middle, 1000, rate), 0.48, 0.52);
    }

    [Fact]
    public void Same_rate_pcm16_passes_samples_through_unchanged()
    {
        var encoder = new OutputAudioEncoder(24_000, AudioFormat.Pcm16);
        short[] pcm = [0, 1, -1, short.MaxValue, short.MinValue, 1234];
        var destination = new byte[encoder.MaxEncodedBytes(pcm.Length)];
        Assert.Equal(12, encoder.Encode(pcm, destination));
        Assert.Equal(new byte[] { 0, 0, 1, 0, 0xFF, 0xFF, 0xFF, 0x7F, 0x00, 0x80, 0xD2, 0x04 }, destination);
        Assert.Equal(0, encoder.Flush(destination));
    }

    [Fact]
    public void Full_scale_input_saturates_instead_of_wrapping()
    {
        // A full-scale square wave overshoots after band-limiting (Gibbs); samples must clip, not wrap sign.
        var encoder = new OutputAudioEncoder(16_000, AudioFormat.Pcm16);
        short[] square = Enumerable.Range(0, 1600).Select(i => (i / 20) % 2 == 0 ? short.MaxValue : short.MinValue).ToArray();
        var destination = new byte[encoder.MaxEncodedBytes(square.Length)];
        int written = encoder.Encode(square, destination);
        var samples = new short[written / 2];
        Pcm16.ToSamples(destination.AsSpan(0, written), samples);
        for (int i = 100; i < samples.Length - 100; i++)
        {
            // Sign follows the square: the first half of each 30-sample period (24 kHz) is positive.
            int phase = (i * 2 / 3) / 20 % 2;
            int position = (i * 2 / 3) % 20;
            if (position is > 3 and < 17)
            {
                Assert.True(phase == 0 ? samples[i] > 20_000 : samples[i] < -20_000, $"sample {i} = {samples[i]}");
            }
        }
    }

    private static float[] Decode(byte[] bytes, AudioFormat format)
    {
        if (format == AudioFormat.Pcm16)
        {
            var samples = new float[bytes.Length / 2];
            Pcm16.ToFloat(bytes, samples);
            return samples;
        }

        var result = new float[bytes.Length];
        if (format == AudioFormat.G711Ulaw)
        {
            G711.DecodeMuLaw(bytes, result);
        }
        else
        {
            G711.DecodeALaw(bytes, result);
        }

        return result;
    }
}
