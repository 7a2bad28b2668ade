namespace Realtime.Load;

/// <summary>The server runtime's cumulative counters at one moment (its `/diagnostics/runtime`): bytes allocated, thread-pool work items completed, lock contentions.</summary>
public readonly record struct RuntimeCounters(long AllocatedBytes, long ThreadPoolItems, long LockContentions)
{
    /// <summary>Each counter's growth since <paramref name="before"/>, divided by <paramref name="operations"/>.</summary>
    public static OperationCost PerOperation(RuntimeCounters? before, RuntimeCounters? after, long operations) =>
        before is { } b && after is { } a && operations > 0
            ? new OperationCost((double)(a.AllocatedBytes - b.AllocatedBytes) / operations, (double)(a.ThreadPoolItems - b.ThreadPoolItems) / operations, (double)(a.LockContentions - b.LockContentions) / operations)
            : OperationCost.Unknown;
}

/// <summary>What one operation (a response, a session, an append) cost the server's runtime on average.</summary>
public sealed record OperationCost(double AllocatedBytes, double ThreadPoolItems, double LockContentions)
{
    public static OperationCost Unknown { get; } = new(double.NaN, double.NaN, double.NaN);
}
