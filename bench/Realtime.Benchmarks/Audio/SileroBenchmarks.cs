using BenchmarkDotNet.Attributes;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Local;

namespace Realtime.Benchmarks.Audio;

/// <summary>
/// Silero VAD cost per 32 ms frame: one stream at a time (baseline) vs N streams in one batched inference.
/// Every method reports time per frame (OperationsPerInvoke), so streams per core = 1 s / (time × 31.25).
/// </summary>
[MemoryDiagnoser]
public class SileroBenchmarks
{
    private const int MaxStreams = 32;

    private SileroSpeechDetector _detector = null!;
    private ISpeechDetectorStream[] _streams = null!;
    private SileroBatch _batch = null!;
    private float[] _frames = null!;
    private float[] _probabilities = null!;

    [GlobalSetup]
    public void Setup()
    {
        _detector = new SileroSpeechDetector(BenchmarkPaths.SileroModel);
        _streams = new ISpeechDetectorStream[MaxStreams];
        for (int i = 0; i < MaxStreams; i++)
        {
            _streams[i] = _detector.OpenStream();
        }

        _batch = _detector.CreateBatch(MaxStreams);
        _frames = new float[MaxStreams * SileroSpeechDetector.FrameSize];
        var random = new Random(1);
        for (int i = 0; i < _frames.Length; i++)
        {
            _frames[i] = (float)(0.3 * Math.Sin(i * 0.07) + (0.05 * (random.NextDouble() - 0.5)));
        }

        _probabilities = new float[MaxStreams];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batch.Dispose();
        foreach (var stream in _streams)
        {
            stream.Dispose();
        }

        _detector.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = 8, Description = "8 streams, one inference each")]
    public float Unbatched8()
    {
        float sum = 0;
        for (int s = 0; s < 8; s++)
        {
            sum += _streams[s].Process(_frames.AsSpan(s * SileroSpeechDetector.FrameSize, SileroSpeechDetector.FrameSize));
        }

        return sum;
    }

    [Benchmark(OperationsPerInvoke = 8, Description = "8 streams, one batched inference")]
    public float Batched8() => RunBatch(8);

    [Benchmark(OperationsPerInvoke = 32, Description = "32 streams, one batched inference")]
    public float Batched32() => RunBatch(32);

    private float RunBatch(int count)
    {
        _batch.ProcessBatch(_streams.AsSpan(0, count), _frames, _probabilities);
        return _probabilities[0];
    }
}
