using BenchmarkDotNet.Attributes;
using Realtime.Engine.Audio;

namespace Realtime.Benchmarks.Audio;

/// <summary>
/// One second of 24 kHz audio in 40 ms chunks per operation: samples/s = 24 000 / time. Baseline is linear
/// interpolation (what a naive server does: cheap but aliasing); the polyphase filter is the real cost.
/// </summary>
[MemoryDiagnoser]
public class ResamplerBenchmarks
{
    private const int Chunk = 960; // 40 ms at 24 kHz

    private readonly float[] _input = new float[24_000];
    private readonly float[] _output = new float[24_000];
    private PolyphaseResampler _to16k = null!;
    private PolyphaseResampler _to8k = null!;
    private LinearResampler _linearTo16k = null!;

    [GlobalSetup]
    public void Setup()
    {
        for (int i = 0; i < _input.Length; i++)
        {
            _input[i] = (float)(0.5 * Math.Sin(i * 0.1));
        }

        _to16k = new PolyphaseResampler(24_000, 16_000);
        _to8k = new PolyphaseResampler(24_000, 8_000);
        _linearTo16k = new LinearResampler(24_000, 16_000);
    }

    [Benchmark(Baseline = true, Description = "linear 24k->16k")]
    public int Linear24kTo16k() => Run(_linearTo16k.Process);

    [Benchmark(Description = "polyphase 24k->16k")]
    public int Polyphase24kTo16k() => Run(_to16k.Process);

    [Benchmark(Description = "polyphase 24k->8k")]
    public int Polyphase24kTo8k() => Run(_to8k.Process);

    private int Run(ResampleChunk process)
    {
        int written = 0;
        for (int offset = 0; offset < _input.Length; offset += Chunk)
        {
            written += process(_input.AsSpan(offset, Chunk), _output);
        }

        return written;
    }

    private delegate int ResampleChunk(ReadOnlySpan<float> input, Span<float> output);

    /// <summary>Streaming linear interpolation: the naive reference, no anti-alias filter.</summary>
    private sealed class LinearResampler(int inputRate, int outputRate)
    {
        private readonly double _step = (double)inputRate / outputRate;
        private double _position;
        private float _previous;

        public int Process(ReadOnlySpan<float> input, Span<float> output)
        {
            int written = 0;
            // _position is relative to the sample before input[0] (held in _previous).
            while (_position < input.Length)
            {
                int index = (int)_position;
                float left = index == 0 ? _previous : input[index - 1];
                float right = input[index];
                float fraction = (float)(_position - index);
                output[written++] = left + ((right - left) * fraction);
                _position += _step;
            }

            _position -= input.Length;
            _previous = input[^1];
            return written;
        }
    }
}
