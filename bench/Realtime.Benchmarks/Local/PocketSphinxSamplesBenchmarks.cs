using BenchmarkDotNet.Attributes;
using Realtime.Engines.Local.PocketSphinx;

namespace Realtime.Benchmarks.Local;

/// <summary>Converting one 100 ms chunk of 16 kHz audio for pocketsphinx.</summary>
[MemoryDiagnoser]
public class PocketSphinxSamplesBenchmarks
{
    private readonly float[] _source = new float[1600];
    private readonly short[] _destination = new short[1600];

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        for (var i = 0; i < _source.Length; i++)
        {
            _source[i] = (float)((random.NextDouble() * 2) - 1);
        }
    }

    [Benchmark(Baseline = true)]
    public short Scalar()
    {
        for (var i = 0; i < _source.Length; i++)
        {
            _destination[i] = PocketSphinxSamples.ToPcm16(_source[i]);
        }

        return _destination[^1];
    }

    [Benchmark]
    public short Vectorized()
    {
        PocketSphinxSamples.ToPcm16(_source, _destination);
        return _destination[^1];
    }
}
