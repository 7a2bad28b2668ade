using Realtime.Wire.Connections;

namespace Realtime.Wire.Tests.Connections;

public sealed class WakeSignalTests
{
    [Fact]
    public async Task A_set_before_the_wait_completes_it_at_once_and_sets_collapse_into_one()
    {
        var signal = new WakeSignal();
        signal.Set();
        signal.Set();
        Assert.True(CompletesAtOnce(signal.WaitAsync()));
        Task next = signal.WaitAsync().AsTask();
        Assert.False(next.IsCompleted);
        signal.Set();
        await next.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task A_waiter_never_misses_the_last_of_many_concurrent_sets()
    {
        // The write loop's contract: after the last Set, one more wait completes (no lost wake-up), whatever the
        // interleaving of setters with the waiter's reset.
        var signal = new WakeSignal();
        const int Setters = 4;
        const int SetsEach = 20_000;
        long produced = 0;
        long consumed = 0;
        CancellationToken cancel = TestContext.Current.CancellationToken;
        Task[] setters = Enumerable.Range(0, Setters).Select(_ => Task.Run(
            () =>
            {
                for (int i = 0; i < SetsEach; i++)
                {
                    Interlocked.Increment(ref produced);
                    signal.Set();
                }
            },
            cancel)).ToArray();

        Task waiter = Task.Run(
            async () =>
            {
                while (Interlocked.Read(ref consumed) < Setters * SetsEach)
                {
                    await signal.WaitAsync();
                    // Like the write loop: take everything produced so far.
                    Interlocked.Exchange(ref consumed, Interlocked.Read(ref produced));
                }
            },
            cancel);

        await Task.WhenAll(setters).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        await waiter.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(Setters * SetsEach, Interlocked.Read(ref consumed));
    }

    [Fact]
    public async Task Waiting_allocates_nothing_after_warm_up()
    {
        var signal = new WakeSignal();
        for (int i = 0; i < 100; i++)
        {
            signal.Set();
            await signal.WaitAsync();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            signal.Set();
            Assert.True(CompletesAtOnce(signal.WaitAsync()));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    // A signaled wait is a completed ValueTask with nothing behind it to consume.
    private static bool CompletesAtOnce(ValueTask wait) => wait.IsCompletedSuccessfully;
}
