using System.Globalization;
using Realtime.Wire.Buffers;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>
/// Thousands of connect / short text turn / close cycles against the real in-process server leave the managed heap
/// and the pool flat. CI runs 2,000 cycles; `REALTIME_CYCLES=10000` runs the full soak, and `REALTIME_CYCLES_REPORT=path`
/// writes the heap and RSS figures there.
/// </summary>
[Collection(OperationsCollection.Name)]
public sealed class SessionCycleTests
{
    private const int Parallel = 4;
    private const int WarmUpCycles = 200;
    private const long AllowedHeapGrowthBytes = 2 * 1024 * 1024;

    // From the end of a 200-cycle warm-up to the end, bounded caches (pools, per-thread buffers) may still fill once:
    // 2.3 MB was seen once by 1,000 cycles and then no more growth (0.17 MB over the next 1,000). The leak check proper
    // is the second half: from 1,000 cycles on the heap must stay within AllowedHeapGrowthBytes.
    private const long AllowedGrowthSinceWarmUpBytes = 4 * 1024 * 1024;

    [Fact]
    public async Task ConnectTalkCloseCyclesLeaveHeapAndPoolFlat()
    {
        int cycles = int.TryParse(Environment.GetEnvironmentVariable("REALTIME_CYCLES"), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 2000;
        await using OpsServer server = await OpsServer.StartAsync();
        PoolTracking.Start();
        try
        {
            await RunCyclesAsync(server, WarmUpCycles);
            await PoolTrackingTests.AssertAllReturnedAsync();
            (long heap0, long rss0) = Measure();
            var report = new List<string> { $"after {WarmUpCycles} warm-up cycles: heap {Mb(heap0)}, RSS {Mb(rss0)}" };
            int done = 0;
            long heapAt1k = heap0;
            foreach (int stop in new[] { Math.Min(1000, cycles), cycles })
            {
                if (stop <= done)
                {
                    continue;
                }

                var watch = System.Diagnostics.Stopwatch.StartNew();
                await RunCyclesAsync(server, stop - done);
                watch.Stop();
                (long heap, long rss) = Measure();
                report.Add($"after {stop} cycles (+{stop - done} in {watch.Elapsed.TotalSeconds:0.0} s, {(stop - done) / watch.Elapsed.TotalSeconds:0} cycles/s): heap {Mb(heap)} ({Mb(heap - heap0)} since warm-up), RSS {Mb(rss)} ({Mb(rss - rss0)})");
                heapAt1k = stop == Math.Min(1000, cycles) ? heap : heapAt1k;
                done = stop;
            }

            TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", report));
            if (Environment.GetEnvironmentVariable("REALTIME_CYCLES_REPORT") is { Length: > 0 } reportPath)
            {
                // The test platform hides a passing test's output; the soak figures are wanted anyway.
                await File.WriteAllLinesAsync(reportPath, report, TestContext.Current.CancellationToken);
            }
            await PoolTrackingTests.AssertAllReturnedAsync();
            (long heapEnd, _) = Measure();
            Assert.True(heapEnd - heap0 < AllowedGrowthSinceWarmUpBytes, string.Join("\n", report));
            Assert.True(heapEnd - heapAt1k < AllowedHeapGrowthBytes, string.Join("\n", report));
        }
        finally
        {
            PoolTracking.Stop();
        }
    }

    /// <summary>Runs <paramref name="count"/> cycles, <see cref="Parallel"/> at a time.</summary>
    private static async Task RunCyclesAsync(OpsServer server, int count)
    {
        int next = -1;
        var workers = new Task[Parallel];
        for (int w = 0; w < Parallel; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                while (Interlocked.Increment(ref next) < count)
                {
                    await OneCycleAsync(server);
                }
            });
        }

        await Task.WhenAll(workers);
    }

    private static async Task OneCycleAsync(OpsServer server)
    {
        RealtimeSocket client = await server.ConnectAsync();
        await TalkAsync(client);
        try
        {
            await client.DisposeAsync();
        }
        catch (System.Net.WebSockets.WebSocketException) when (client.CloseStatus == System.Net.WebSockets.WebSocketCloseStatus.NormalClosure)
        {
            // ClientWebSocket's CloseAsync racing its own pending receive: the server's 1000 close frame did arrive
            // (CloseStatus), it then dropped TCP as RFC 6455 allows, and the client reports that as unfinished. Seen about
            // once in a few hundred cycles; the server side of the close is complete.
        }
    }

    private static async Task TalkAsync(RealtimeSocket client)
    {
        await client.SendAsync("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hello there\"}]}}");
        await client.SendAsync("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"]}}");
        System.Text.Json.JsonElement done = await client.WaitFor("response.done", timeoutMs: 120_000);
        Assert.Equal("completed", done.GetProperty("response").GetProperty("status").GetString());
    }

    private static (long Heap, long Rss) Measure()
    {
        long heap = GC.GetTotalMemory(forceFullCollection: true);
        GC.WaitForPendingFinalizers();
        heap = GC.GetTotalMemory(forceFullCollection: true);
        long rss = 0;
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return (heap, rss);
    }

    private static string Mb(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.00", CultureInfo.InvariantCulture) + " MB";
}
