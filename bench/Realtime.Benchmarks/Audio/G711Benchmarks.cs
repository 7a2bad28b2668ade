using BenchmarkDotNet.Attributes;
using Realtime.Wire.Audio;

namespace Realtime.Benchmarks.Audio;

/// <summary>
/// One second of 8 kHz G.711 per operation: samples/s = 8 000 / time. Baseline is the textbook per-sample
/// µ-law encoder (segment search with branches) that the table replaces.
/// </summary>
[MemoryDiagnoser]
public class G711Benchmarks
{
    private readonly short[] _pcm = new short[8_000];
    private readonly byte[] _encoded = new byte[8_000];
    private readonly short[] _decoded = new short[8_000];
    private readonly float[] _decodedFloat = new float[8_000];

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < _pcm.Length; i++)
        {
            _pcm[i] = (short)(20_000 * Math.Sin(i * 0.05));
        }

        G711.EncodeMuLaw(_pcm, _encoded);
    }

    [Benchmark(Baseline = true, Description = "µ-law encode, segment search")]
    public byte EncodeMuLawSearch()
    {
        for (int i = 0; i < _pcm.Length; i++)
        {
            _encoded[i] = SearchEncode(_pcm[i]);
        }

        return _encoded[^1];
    }

    [Benchmark(Description = "µ-law encode, table")]
    public byte EncodeMuLawTable()
    {
        G711.EncodeMuLaw(_pcm, _encoded);
        return _encoded[^1];
    }

    [Benchmark(Description = "A-law encode, table")]
    public byte EncodeALawTable()
    {
        G711.EncodeALaw(_pcm, _encoded);
        return _encoded[^1];
    }

    [Benchmark(Description = "µ-law decode to PCM16")]
    public short DecodeMuLaw()
    {
        G711.DecodeMuLaw(_encoded, _decoded);
        return _decoded[^1];
    }

    [Benchmark(Description = "µ-law decode to float")]
    public float DecodeMuLawFloat()
    {
        G711.DecodeMuLaw(_encoded, _decodedFloat);
        return _decodedFloat[^1];
    }

    private static byte SearchEncode(short sample)
    {
        int value = sample >> 2;
        int mask = 0xFF;
        if (value < 0)
        {
            value = -value;
            mask = 0x7F;
        }

        value = Math.Min(value, 8159) + 33;
        int segment = 0;
        while (segment < 8 && value > (0x40 << segment) - 1)
        {
            segment++;
        }

        return segment >= 8 ? (byte)(0x7F ^ mask) : (byte)(((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask);
    }
}
