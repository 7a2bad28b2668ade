namespace Realtime.Engine.Backends;

/// <summary>
/// Voice activity detection. One detector (model, session pool) is shared by all sessions;
/// each session opens its own stream that keeps the per-stream recurrent state.
/// </summary>
public interface ISpeechDetector
{
    /// <summary>Engine name for logs and /healthz, e.g. "builtin:silero".</summary>
    string Name { get; }

    /// <summary>Samples per frame at 16 kHz that <see cref="ISpeechDetectorStream.Process"/> expects (512 for Silero v5).</summary>
    int FrameSamples { get; }

    ISpeechDetectorStream OpenStream();
}

/// <summary>Per-session detector state. Not thread-safe: used only by its session's loop.</summary>
public interface ISpeechDetectorStream : IDisposable
{
    /// <summary>Speech probability in [0, 1] for exactly <see cref="ISpeechDetector.FrameSamples"/> samples of 16 kHz audio in [-1, 1].</summary>
    float Process(ReadOnlySpan<float> frame);

    /// <summary>
    /// The same as <see cref="Process"/>, for detectors that infer many sessions' frames together (Silero batches
    /// frames that arrive while an inference runs). The frame is copied before this returns; the result may come
    /// later, and a stream has at most one frame in flight (await it before the next call, Reset or Dispose).
    /// Detectors without a batched path answer inline, so the task is already complete.
    /// </summary>
    ValueTask<float> ProcessAsync(ReadOnlyMemory<float> frame) => new(Process(frame.Span));

    /// <summary>Forget the recurrent state (after a committed turn or a clear).</summary>
    void Reset();

    /// <summary>
    /// The failure a remote detector met since it last answered (once per run of failures; null when none). The
    /// session reports it to the client; the detector meanwhile counts the failed frames as silence.
    /// </summary>
    Exception? TakeFailure() => null;
}
