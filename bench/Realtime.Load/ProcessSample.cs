namespace Realtime.Load;

/// <summary>
/// The server process at one moment: CPU seconds used so far (user + system, and system alone), resident set, when
/// (Stopwatch timestamp), and the context switches of each live thread so far (voluntary + involuntary): every
/// thread-pool wake-up, blocking wait or yield is one, so per operation they count the hand-offs between threads.
/// </summary>
public readonly record struct ProcessSample(double CpuSeconds, double SystemCpuSeconds, long RssBytes, long Timestamp, IReadOnlyDictionary<int, long>? ThreadSwitches = null)
{
    /// <summary>Context switches since <paramref name="before"/>, over the threads alive now (a thread that ended in between is not counted).</summary>
    public long SwitchesSince(ProcessSample before)
    {
        long total = 0;
        foreach ((int thread, long switches) in ThreadSwitches ?? new Dictionary<int, long>())
        {
            total += switches - (before.ThreadSwitches is { } earlier && earlier.TryGetValue(thread, out long then) ? then : 0);
        }

        return total;
    }
}
