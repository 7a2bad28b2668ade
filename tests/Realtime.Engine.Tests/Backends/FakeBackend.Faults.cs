using Grpc.Core;

namespace Realtime.Engine.Tests.Backends;

/// <summary>When an injected fault strikes within a call.</summary>
public enum FaultTiming
{
    /// <summary>The call fails before the backend sends anything.</summary>
    AtOnce,

    /// <summary>One message goes out, then the call fails (streams only; unary calls fail at once).</summary>
    AfterFirstMessage,

    /// <summary>The backend never answers: only the caller's deadline or cancellation ends the call.</summary>
    Hang,

    /// <summary>One message goes out, then the stream ends with OK and without its final message (streams only).</summary>
    EndEarly,
}

/// <summary>A fault the next calls of one RPC meet: <paramref name="Times"/> calls (0: every call) end with <paramref name="Code"/>.</summary>
public sealed record InjectedFault(string Method, StatusCode Code, FaultTiming Timing = FaultTiming.AtOnce, int Times = 0);

/// <summary>
/// Fault injection, reconfigurable while the fake runs (one fake per test class, a fault per test): Health and
/// LoadModel are never affected, so readiness succeeds and only the stage's own call fails.
/// </summary>
public sealed partial class FakeBackend
{
    private InjectedFault? _fault;
    private int _faultHits;
    private int _faultCalls;

    /// <summary>The fault in effect (null: none). Setting it resets <see cref="FaultedCalls"/>.</summary>
    public InjectedFault? Fault
    {
        get => Volatile.Read(ref _fault);
        set
        {
            Interlocked.Exchange(ref _faultHits, 0);
            Interlocked.Exchange(ref _faultCalls, 0);
            Volatile.Write(ref _fault, value);
        }
    }

    /// <summary>Calls of the faulted method since the fault was set (retries included).</summary>
    public int FaultedCalls => Volatile.Read(ref _faultCalls);

    /// <summary>
    /// Applies the fault of <paramref name="method"/> if one is set and not used up: returns true when the call
    /// must end here (stream ended early), throws for an error status, hangs for <see cref="FaultTiming.Hang"/>.
    /// <paramref name="first"/> writes the stream's one message before a mid-stream fault.
    /// </summary>
    private async Task<bool> InjectAsync(string method, ServerCallContext context, Func<Task>? first = null)
    {
        InjectedFault? fault = Fault;
        if (fault is null || fault.Method != method)
        {
            return false;
        }

        Interlocked.Increment(ref _faultCalls);
        if (fault.Times > 0 && Interlocked.Increment(ref _faultHits) > fault.Times)
        {
            return false;
        }

        if (first is not null && fault.Timing is FaultTiming.AfterFirstMessage or FaultTiming.EndEarly)
        {
            await first();
        }

        switch (fault.Timing)
        {
            case FaultTiming.Hang:
                await DelayAsync(Timeout.Infinite, context);
                return true;
            case FaultTiming.EndEarly when first is not null:
                return true;
            default:
                throw new RpcException(new Status(fault.Code, "injected failure"));
        }
    }
}
