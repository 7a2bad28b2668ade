using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Observability;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// The concurrency gates of one backend address: one per stage (VAD, transcription, LLM, TTS, and set-up calls),
/// each with <see cref="BackendRegistryOptions.MaxConcurrency"/> slots. Separate gates because the stages of one
/// address are separate workers behind it (LocalAI runs one process per model; the built-in backend mode has an
/// engine per stage): a transcription held for a whole utterance, or a VAD request every frame, must not hold the
/// slot that another session's LLM or TTS call waits for. Every wait is recorded per stage
/// (`realtime.backend.queue_wait`), and a call that waited longer than a second is logged.
/// </summary>
internal sealed class StageGates : IDisposable
{
    /// <summary>Health and LoadModel: not a pipeline stage, and never behind one.</summary>
    public const string Setup = "setup";

    private static readonly TimeSpan SlowWait = TimeSpan.FromSeconds(1);
    private static readonly string[] Stages = ["vad", "transcription", "llm", "tts", Setup];

    private readonly SemaphoreSlim[] _gates;
    private readonly BackendUri _uri;
    private readonly int _slots;
    private readonly ILogger _logger;

    public StageGates(BackendUri uri, int slots, ILogger logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _uri = uri;
        _slots = slots;
        _logger = logger;
        _gates = new SemaphoreSlim[Stages.Length];
        for (int i = 0; i < _gates.Length; i++)
        {
            _gates[i] = new SemaphoreSlim(slots, slots);
        }
    }

    /// <summary>
    /// Waits up to <paramref name="timeout"/> for a free slot of <paramref name="stage"/> (vad, transcription, llm, tts
    /// or setup); dispose the lease to release it. Null when no slot came free in time.
    /// </summary>
    public async ValueTask<Lease?> EnterAsync(string stage, TimeSpan timeout, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate = _gates[Array.IndexOf(Stages, stage) is int i and >= 0 ? i : throw new ArgumentOutOfRangeException(nameof(stage), stage, "unknown stage")];
        if (gate.Wait(0, cancellationToken))
        {
            EngineMetrics.BackendQueueWait(stage, TimeSpan.Zero);
            return new Lease(gate);
        }

        long started = Stopwatch.GetTimestamp();
        bool entered = await gate.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        TimeSpan waited = Stopwatch.GetElapsedTime(started);
        EngineMetrics.BackendQueueWait(stage, waited);
        if (waited > SlowWait)
        {
            _logger.LogWarning(
                "Backend {Backend}: a {Stage} call waited {Seconds:0.0} s for one of its {Slots} slot(s){Outcome}; raise Realtime:Backends:MaxConcurrency if the backend serves calls in parallel",
                _uri, stage, waited.TotalSeconds, _slots, entered ? string.Empty : " and gave up at the call deadline");
        }

        return entered ? new Lease(gate) : null;
    }

    public void Dispose()
    {
        foreach (SemaphoreSlim gate in _gates)
        {
            gate.Dispose();
        }
    }

    /// <summary>One slot of one stage's gate.</summary>
    public readonly struct Lease(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}
