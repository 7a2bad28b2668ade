using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Realtime.Engine.Backends;
using Realtime.Engines.Local.Silero;

namespace Realtime.Benchmarks.Audio;

/// <summary>
/// Silero VAD cost per 32 ms frame for N streams speaking at once: each stream alone (baseline: N independent
/// Process calls) vs through the shared batcher that sessions use. Every method runs <see cref="FramesPerInvoke"/>
/// frames (FramesPerInvoke / N rounds of one frame per stream) and reports time per frame, so
/// streams per core = 32 ms / cost.
/// </summary>
/// <remarks>
/// <para>
/// <c>Queued</c>: the frames of a round queue behind a held batcher and are drained on this thread, as they are
/// while an inference runs under load: submit, batched inference(s) of up to 64, completion (set here rather than
/// through the thread pool, whose wake-up latency is not CPU). One thread does everything: its time is CPU time.
/// </para>
/// <para>
/// <c>Concurrent</c>: N async loops on the thread pool, each awaiting its frame before submitting the next (what
/// sessions do): batch sizes form naturally. This is wall time on all cores; the process CPU time per frame and the
/// mean batch size are printed at the end of each run ("// CPU per frame"), because on 2 cores the two differ.
/// </para>
/// </remarks>
[MemoryDiagnoser]
public class SileroBenchmarks
{
    private const int FramesPerInvoke = 512;
    private const int Frame = SileroSpeechDetector.FrameSize;

    private SileroSpeechDetector _detector = null!;
    private ISpeechDetectorStream[] _streams = null!;
    private ValueTask<float>[] _pending = null!;
    private float[] _audio = null!;
    private long _frames;
    private TimeSpan _cpuStart;

    [Params(1, 8, 32, 128, 512)]
    public int Streams { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _detector = new SileroSpeechDetector(BenchmarkPaths.SileroModel);
        _streams = new ISpeechDetectorStream[Streams];
        for (int i = 0; i < Streams; i++)
        {
            _streams[i] = _detector.OpenStream();
        }

        _pending = new ValueTask<float>[Streams];
        _audio = new float[Streams * Frame];
        var random = new Random(1);
        for (int i = 0; i < _audio.Length; i++)
        {
            _audio[i] = (float)((0.3 * Math.Sin(i * 0.07)) + (0.05 * (random.NextDouble() - 0.5)));
        }

        _cpuStart = Process.GetCurrentProcess().TotalProcessorTime;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - _cpuStart).TotalMicroseconds;
        SileroBatcher batcher = _detector.Batcher;
        double meanBatch = batcher.Batches == 0 ? 1 : batcher.Frames / (double)batcher.Batches;
        Console.WriteLine($"// CPU per frame: {cpuUs / Math.Max(1, _frames):F1} us over {_frames} frames, mean batch {meanBatch:F1} ({Streams} streams)");
        foreach (var stream in _streams)
        {
            stream.Dispose();
        }

        _detector.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = FramesPerInvoke, Description = "each stream alone")]
    public float Alone()
    {
        float sum = 0;
        for (int round = 0; round < FramesPerInvoke / Streams; round++)
        {
            for (int s = 0; s < Streams; s++)
            {
                sum += _streams[s].Process(_audio.AsSpan(s * Frame, Frame));
            }
        }

        _frames += FramesPerInvoke;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke, Description = "batcher, frames queued")]
    public float Queued()
    {
        SileroBatcher batcher = _detector.Batcher;
        float sum = 0;
        for (int round = 0; round < FramesPerInvoke / Streams; round++)
        {
            while (!batcher.TryHold())
            {
                Thread.Yield();
            }

            for (int s = 0; s < Streams; s++)
            {
                // Held, not awaited: the result is read once below, after the drain (as the tests do).
#pragma warning disable CA2012
                _pending[s] = _streams[s].ProcessAsync(_audio.AsMemory(s * Frame, Frame));
#pragma warning restore CA2012
            }

            batcher.Drain(completeHere: true);
            for (int s = 0; s < Streams; s++)
            {
                sum += _pending[s].Result;
            }
        }

        _frames += FramesPerInvoke;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = FramesPerInvoke, Description = "batcher, concurrent awaiting streams")]
    public async Task<float> Concurrent()
    {
        var loops = new Task<float>[Streams];
        for (int s = 0; s < Streams; s++)
        {
            loops[s] = Speak(s, FramesPerInvoke / Streams);
        }

        float sum = 0;
        foreach (float result in await Task.WhenAll(loops))
        {
            sum += result;
        }

        _frames += FramesPerInvoke;
        return sum;
    }

    private async Task<float> Speak(int stream, int frames)
    {
        // Off the benchmark thread at once, as each session runs on its own thread-pool turn.
        await Task.Yield();
        float sum = 0;
        for (int f = 0; f < frames; f++)
        {
            sum += await _streams[stream].ProcessAsync(_audio.AsMemory(stream * Frame, Frame));
        }

        return sum;
    }
}
