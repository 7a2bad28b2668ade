using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;
using Realtime.Wire.Buffers;

namespace Realtime.Engines.Local.Espeak;

/// <summary>
/// The one espeak-ng instance of the process. espeak keeps global state and is not thread-safe, so a
/// single dedicated thread owns it; requests queue as jobs and take turns one sentence at a time.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "Lives as long as the process, like the native library state it owns.")]
internal sealed unsafe class EspeakEngine
{
    /// <summary>Callback buffer length: each chunk carries this much audio, so first audio comes this quickly.</summary>
    private const int ChunkMilliseconds = 40;

    private static readonly Lazy<EspeakEngine> Instance = new(() => new EspeakEngine(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The job being synthesized; only the synthesis thread (and the callback it runs) touches it.</summary>
    [ThreadStatic]
    private static EspeakJob? t_current;

    private readonly BlockingCollection<EspeakJob> _queue = new(new ConcurrentQueue<EspeakJob>());
    private readonly Thread _thread;
    private readonly TaskCompletionSource<int> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _voice;

    private EspeakEngine()
    {
        _thread = new Thread(Run) { IsBackground = true, Name = "espeak-ng synthesis" };
        _thread.Start();
        SampleRate = _started.Task.GetAwaiter().GetResult();
    }

    /// <summary>Starts the engine on first use; throws when libespeak-ng or its data is missing.</summary>
    public static EspeakEngine Shared => Instance.Value;

    public int SampleRate { get; }

    public void Enqueue(EspeakJob job) => _queue.Add(job);

    private void Run()
    {
        try
        {
            var rate = EspeakNative.Initialize(EspeakNative.OutputSynchronous, ChunkMilliseconds, null, EspeakNative.InitializeDontExit);
            if (rate <= 0)
            {
                _started.SetException(new InvalidOperationException("espeak-ng failed to initialize (is espeak-ng-data installed?)."));
                return;
            }

            EspeakNative.SetSynthCallback(&OnSynthesized);
            _started.SetResult(rate);
        }
        catch (Exception exception)
        {
            // DllNotFoundException and friends: report to the constructor instead of killing the process.
            _started.SetException(exception);
            return;
        }

        foreach (var job in _queue.GetConsumingEnumerable())
        {
            Step(job);
        }
    }

    /// <summary>Synthesizes one sentence of the job, then puts it at the back of the queue if more remain.</summary>
    private void Step(EspeakJob job)
    {
        try
        {
            if (job.Stopped)
            {
                Finish(job, job.CancellationToken.IsCancellationRequested ? new OperationCanceledException(job.CancellationToken) : null);
                return;
            }

            SelectVoice(job);
            var sentence = job.TakeSentence();
            t_current = job;
            int result;
            fixed (byte* text = sentence)
            {
                result = EspeakNative.Synth(text, (nuint)sentence.Length, 0, EspeakNative.PositionCharacter, 0, EspeakNative.CharsUtf8, null, 0);
            }

            t_current = null;
            if (result != 0 && !job.Stopped)
            {
                Finish(job, new InvalidOperationException($"espeak-ng synthesis failed with code {result}."));
            }
            else if (job.HasMore && !job.Stopped)
            {
                _queue.Add(job);
            }
            else
            {
                Finish(job, job.CancellationToken.IsCancellationRequested ? new OperationCanceledException(job.CancellationToken) : null);
            }
        }
        catch (Exception exception)
        {
            t_current = null;
            Finish(job, exception);
        }
    }

    private void SelectVoice(EspeakJob job)
    {
        if (!string.Equals(_voice, job.Voice, StringComparison.Ordinal))
        {
            var name = Encoding.UTF8.GetBytes(job.Voice + "\0");
            fixed (byte* voice = name)
            {
                if (EspeakNative.SetVoiceByName(voice) != 0)
                {
                    throw new InvalidOperationException($"espeak-ng has no voice '{job.Voice}'.");
                }
            }

            _voice = job.Voice;
        }

        // A voice change resets the rate, and jobs differ in speed: set it for every sentence (cheap).
        _ = EspeakNative.SetParameter(EspeakNative.ParameterRate, job.WordsPerMinute, 0);
    }

    private static void Finish(EspeakJob job, Exception? error)
    {
        if (!job.Chunks.Writer.TryComplete(error))
        {
            job.Drain();
        }
    }

    /// <summary>espeak's synthesis callback: copy the chunk out and hand it to the job's reader. Returning 1 aborts.</summary>
    [UnmanagedCallersOnly]
    private static int OnSynthesized(short* wav, int samples, nint events)
    {
        var job = t_current;
        if (job is null || job.Stopped)
        {
            return 1;
        }

        if (wav != null && samples > 0)
        {
            var buffer = BufferPool<short>.Rent(samples);
            new ReadOnlySpan<short>(wav, samples).CopyTo(buffer);
            if (!job.Chunks.Writer.TryWrite((buffer, samples)))
            {
                BufferPool<short>.Return(buffer);
                return 1;
            }
        }

        return 0;
    }
}
