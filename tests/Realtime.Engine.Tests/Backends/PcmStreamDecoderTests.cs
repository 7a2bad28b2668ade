using Realtime.Engine.Backends.Grpc;

namespace Realtime.Engine.Tests.Backends;

public sealed class PcmStreamDecoderTests
{
    private static short[] DecodeInPieces(byte[] bytes, int cut1, int cut2, out int rate)
    {
        var decoder = new PcmStreamDecoder(8_000, detectHeader: true);
        var samples = new List<short>();
        foreach (var (start, end) in new[] { (0, cut1), (cut1, cut2), (cut2, bytes.Length) })
        {
            samples.AddRange(decoder.Decode(bytes.AsSpan(start, end - start)).ToArray());
        }

        rate = decoder.SampleRate;
        return samples.ToArray();
    }

    [Fact]
    public void Every_split_of_a_streaming_wav_gives_the_same_samples()
    {
        var expected = FakeBackend.Speech("a", 22_050)[..40];
        var bytes = (byte[])[.. FakeBackend.WavHeader(22_050, uint.MaxValue), .. FakeBackend.Bytes(expected)];
        for (var cut1 = 0; cut1 <= bytes.Length; cut1++)
        {
            for (var cut2 = cut1; cut2 <= bytes.Length; cut2 += 7)
            {
                Assert.Equal(expected, DecodeInPieces(bytes, cut1, cut2, out var rate));
                Assert.Equal(22_050, rate);
            }
        }
    }

    [Fact]
    public void Raw_pcm_without_header_uses_the_default_rate_and_carries_odd_bytes()
    {
        var expected = FakeBackend.Speech("a", 24_000)[..30];
        var bytes = FakeBackend.Bytes(expected);
        for (var cut = 0; cut <= bytes.Length; cut++)
        {
            Assert.Equal(expected, DecodeInPieces(bytes, cut, cut, out var rate));
            Assert.Equal(8_000, rate);
        }
    }

    [Fact]
    public void Data_size_is_respected_and_extra_chunks_are_skipped()
    {
        var pcm = FakeBackend.Bytes([1, 2, 3]);
        var header = FakeBackend.WavHeader(16_000, (uint)pcm.Length);
        // A LIST chunk between fmt and data, and trailing junk after the data.
        var list = (byte[])[.. "LIST"u8, 4, 0, 0, 0, .. "INFO"u8];
        var bytes = (byte[])[.. header[..36], .. list, .. header[36..], .. pcm, 9, 9, 9, 9];

        Assert.Equal([1, 2, 3], DecodeInPieces(bytes, 10, 50, out var rate));
        Assert.Equal(16_000, rate);
    }

    [Fact]
    public void Stereo_keeps_the_first_channel_and_non_pcm_is_rejected()
    {
        var header = FakeBackend.WavHeader(16_000, 8);
        header[22] = 2;
        var stereo = (byte[])[.. header, .. FakeBackend.Bytes([10, -10, 20, -20])];
        Assert.Equal([10, 20], DecodeInPieces(stereo, 45, 47, out _));

        var floatWav = FakeBackend.WavHeader(16_000, 8);
        floatWav[20] = 3;
        floatWav[34] = 32;
        Assert.Throws<InvalidDataException>(() => new PcmStreamDecoder(16_000, true).Decode(floatWav));

        var notWave = (byte[])[.. "RIFF"u8, 0, 0, 0, 0, .. "AVI "u8];
        Assert.Throws<InvalidDataException>(() => new PcmStreamDecoder(16_000, true).Decode(notWave));

        var noData = (byte[])[.. FakeBackend.WavHeader(16_000, 0)[..36], .. "junk"u8, 0, 0, 0x10, 0]; // a 1 MiB chunk before any data: refused, not buffered
        var decoder = new PcmStreamDecoder(16_000, true);
        Assert.Throws<InvalidDataException>(() => decoder.Decode(noData));
    }

    [Fact]
    public void Decoding_allocates_nothing_after_warm_up()
    {
        var decoder = new PcmStreamDecoder(24_000, detectHeader: true);
        var chunk = FakeBackend.Bytes(FakeBackend.Speech("a b", 24_000))[..4801];
        decoder.Decode(FakeBackend.WavHeader(24_000, uint.MaxValue));
        decoder.Decode(chunk);
        decoder.Decode(chunk);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            decoder.Decode(chunk);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
