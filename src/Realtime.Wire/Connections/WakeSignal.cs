using System.Threading.Tasks.Sources;

namespace Realtime.Wire.Connections;

/// <summary>
/// An auto-reset signal with one waiter (the connection's write loop) and any number of setters. It replaces a
/// Channel&lt;bool&gt;, whose queue segment and pre-allocated operations cost ~600 bytes per idle connection; this
/// costs one small object and allocates nothing per wait. Sets while nobody waits collapse into one.
/// </summary>
internal sealed class WakeSignal : IValueTaskSource
{
    private const int Idle = 0;
    private const int Signaled = 1;
    private const int Waiting = 2;

    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = true };
    private int _state;

    /// <summary>Completes when <see cref="Set"/> has been called since the last wait. One waiter at a time.</summary>
    public ValueTask WaitAsync()
    {
        if (Interlocked.CompareExchange(ref _state, Idle, Signaled) == Signaled)
        {
            return ValueTask.CompletedTask;
        }

        _core.Reset();
        if (Interlocked.CompareExchange(ref _state, Waiting, Idle) == Signaled)
        {
            // Set between the two checks: take it now.
            Volatile.Write(ref _state, Idle);
            return ValueTask.CompletedTask;
        }

        return new ValueTask(this, _core.Version);
    }

    /// <summary>Wakes the waiter, or the next wait if nobody waits now.</summary>
    /// <param name="inline">
    /// Run a waiting continuation on this thread, now, instead of on the thread pool: for a caller that would only
    /// wait for what the waiter does next (the connection's end, waiting for its writer to finish).
    /// </param>
    public void Set(bool inline = false)
    {
        while (true)
        {
            switch (Volatile.Read(ref _state))
            {
                case Signaled:
                    return;
                case Idle:
                    if (Interlocked.CompareExchange(ref _state, Signaled, Idle) == Idle)
                    {
                        return;
                    }

                    break;
                default:
                    if (Interlocked.CompareExchange(ref _state, Idle, Waiting) == Waiting)
                    {
                        // Only the thread that won the exchange completes this wait, so only it reads the flag.
                        _core.RunContinuationsAsynchronously = !inline;
                        _core.SetResult(true);
                        _core.RunContinuationsAsynchronously = true;
                        return;
                    }

                    break;
            }
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
