using Realtime.Wire.Audio;

namespace Realtime.Wire.Tests.Audio;

public sealed class G711Tests
{
    [Theory]
    [InlineData(0, 0xFF)]
    [InlineData(-1, 0x7E)] // -1 >> 2 = -1: magnitude 1 rounds into the first negative step (decodes to -8)
    [InlineData(short.MaxValue, 0x80)]
    [InlineData(short.MinValue, 0x00)]
    [InlineData(1000, 0xCE)]
    [InlineData(-1000, 0x4E)]
    public void MuLaw_encodes_known_values(short sample, byte code) => Assert.Equal(code, G711.EncodeMuLaw(sample));

    [Theory]
    [InlineData(0xFF, 0)]
    [InlineData(0x7F, 0)]
    [InlineData(0x80, 32124)]
    [InlineData(0x00, -32124)]
    [InlineData(0xCE, 988)]
    public void MuLaw_decodes_known_values(byte code, short sample) => Assert.Equal(sample, G711.DecodeMuLaw(code));

    [Theory]
    [InlineData(0, 0xD5)]
    [InlineData(-1, 0x55)]
    [InlineData(short.MaxValue, 0xAA)]
    [InlineData(short.MinValue, 0x2A)]
    [InlineData(1000, 0xFA)]
    public void ALaw_encodes_known_values(short sample, byte code) => Assert.Equal(code, G711.EncodeALaw(sample));

    [Theory]
    [InlineData(0xD5, 8)]
    [InlineData(0x55, -8)]
    [InlineData(0xAA, 32256)]
    [InlineData(0x2A, -32256)]
    [InlineData(0xFA, 1008)]
    public void ALaw_decodes_known_values(byte code, short sample) => Assert.Equal(sample, G711.DecodeALaw(code));

    /// <summary>
    /// SHA-256 of the full codec tables as produced by an independent implementation (CPython's audioop
    /// lin2ulaw/lin2alaw over every 16-bit sample, ulaw2lin/alaw2lin over every code, little-endian).
    /// </summary>
    [Fact]
    public void Whole_codec_matches_an_independent_reference_bit_for_bit()
    {
        short[] every = Enumerable.Range(short.MinValue, 65536).Select(i => (short)i).ToArray();
        byte[] mu = new byte[every.Length];
        byte[] a = new byte[every.Length];
        G711.EncodeMuLaw(every, mu);
        G711.EncodeALaw(every, a);
        Assert.Equal("81d633c9e6972a18c74a58720b96cb8ca0bdd096d4060b646dd708c3b846019a", Sha256(mu));
        Assert.Equal("38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b", Sha256(a));

        byte[] codes = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var decoded = new short[256];
        var bytes = new byte[512];
        G711.DecodeMuLaw(codes, decoded);
        Pcm16.ToBytes(decoded, bytes);
        Assert.Equal("3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827", Sha256(bytes));
        G711.DecodeALaw(codes, decoded);
        Pcm16.ToBytes(decoded, bytes);
        Assert.Equal("e04788d110e58ff8c70c93b8480190d973e3b67876b6119abbaec766cc75c174", Sha256(bytes));
    }

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));

    [Fact]
    public void Every_code_survives_decode_then_encode()
    {
        for (int code = 0; code < 256; code++)
        {
            Assert.Equal((byte)code, G711.EncodeALaw(G711.DecodeALaw((byte)code)));
            // µ-law has two zeros (0x7F = -0, 0xFF = +0); both decode to 0 which encodes as +0.
            byte expected = code == 0x7F ? (byte)0xFF : (byte)code;
            Assert.Equal(expected, G711.EncodeMuLaw(G711.DecodeMuLaw((byte)code)));
        }
    }

    [Fact]
    public void Quantization_error_stays_within_half_a_segment_step()
    {
        for (int sample = short.MinValue; sample <= short.MaxValue; sample++)
        {
            int mu = G711.DecodeMuLaw(G711.EncodeMuLaw((short)sample));
            int a = G711.DecodeALaw(G711.EncodeALaw((short)sample));
            // Steps grow with level (about 1/16 of the value); near zero the floor is half a step plus the dropped low bits.
            int magnitude = Math.Abs(sample);
            Assert.InRange(Math.Abs(mu - sample), 0, Math.Max(12, magnitude / 16) + 1);
            Assert.InRange(Math.Abs(a - sample), 0, Math.Max(16, magnitude / 16) + 1);
            Assert.True(Math.Sign(mu) == Math.Sign(sample) || mu == 0 || Math.Abs(sample) < 8);
        }
    }

    [Fact]
    public void Span_overloads_match_the_scalar_codec()
    {
        short[] pcm = Enumerable.Range(0, 4096).Select(i => (short)((i * 16) - 32768)).ToArray();
        byte[] mu = new byte[pcm.Length];
        byte[] a = new byte[pcm.Length];
        G711.EncodeMuLaw(pcm, mu);
        G711.EncodeALaw(pcm, a);
        var muPcm = new short[pcm.Length];
        var aFloat = new float[pcm.Length];
        G711.DecodeMuLaw(mu, muPcm);
        G711.DecodeALaw(a, aFloat);
        for (int i = 0; i < pcm.Length; i++)
        {
            Assert.Equal(G711.EncodeMuLaw(pcm[i]), mu[i]);
            Assert.Equal(G711.EncodeALaw(pcm[i]), a[i]);
            Assert.Equal(G711.DecodeMuLaw(mu[i]), muPcm[i]);
            Assert.Equal(G711.DecodeALaw(a[i]) / 32768f, aFloat[i]);
        }
    }
}
