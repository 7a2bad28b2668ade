using System.Diagnostics;

namespace Realtime.Load;

/// <summary>Runs the scenarios against one target at a time, each on a freshly started server.</summary>
public sealed class LoadRunner(LoadOptions options, ServerLauncher launcher, SpeechFixture fixture, InstantBackendHost? backend)
{
    private const int ConnectParallelism = 64;

    public async Task<SpeakingResult> RunSpeakingAsync(string target, int count)
    {
        await using ServerProcess? server = await launcher.StartAsync(target);
        var uri = new Uri(server?.WebSocketUri ?? target);
        await WarmUpAsync(uri);

        var errors = new ErrorCounts();
        int passChunks = fixture.Chunks.Length + SpeakingSession.GapChunks;
        int maxChunks = ((options.DurationSeconds * 1000) / SpeechFixture.ChunkMs) + passChunks;
        var sessions = new SpeakingSession[count];
        var opened = new bool[count];
        ProcessSample before = server?.Sample() ?? default;
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism }, async (i, ct) =>
        {
            sessions[i] = new SpeakingSession(fixture, errors, maxChunks);
            opened[i] = await sessions[i].OpenAsync(uri, options.ApiKey, ct);
        });

        BackendTimes backendBefore = backend?.Backend.Times ?? default;
        OwnTimeHistogram ownBefore = server is null ? OwnTimeHistogram.Empty : await server.GatewayOwnTimeAsync();
        TimeSpan toolCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        long start = Stopwatch.GetTimestamp() + (Stopwatch.Frequency / 2);
        long stop = start + (Stopwatch.Frequency * options.DurationSeconds);
        long passTicks = Stopwatch.Frequency * SpeechFixture.ChunkMs / 1000 * passChunks;
        ProcessSample first = server?.Sample() ?? default;
        var speaking = new List<Task>(count);
        for (int i = 0; i < count; i++)
        {
            if (opened[i])
            {
                // Staggered over one pass, so turns end evenly spread rather than all at once.
                speaking.Add(sessions[i].SpeakAsync(start + (passTicks * i / count), stop + (passTicks * i / count), CancellationToken.None));
            }
        }

        await Task.WhenAll(speaking);
        ProcessSample last = server?.Sample() ?? default;
        await Task.WhenAll(sessions.Where((_, i) => opened[i]).Select(s => s.FinishAsync(TimeSpan.FromSeconds(options.SettleSeconds))));
        BackendTimes backendTimes = (backend?.Backend.Times ?? default) - backendBefore;
        OwnTimeHistogram own = server is null ? OwnTimeHistogram.Empty : await server.GatewayOwnTimeAsync() - ownBefore;
        double toolCpu = (Process.GetCurrentProcess().TotalProcessorTime - toolCpuBefore).TotalSeconds;
        int held = opened.Count(o => o);
        var turns = sessions.Where((_, i) => opened[i]).SelectMany(s => s.Turns).ToList();
        int passes = sessions.Where((_, i) => opened[i]).Sum(s => s.Passes);
        await Parallel.ForEachAsync(sessions.Where(s => s is not null), new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism }, async (s, _) => await s.DisposeAsync());

        double window = (double)(last.Timestamp - first.Timestamp) / Stopwatch.Frequency;
        double cpuPerSessionMinute = server is null || held == 0 ? double.NaN : (last.CpuSeconds - first.CpuSeconds) / (held * window / 60);
        double rssPerSession = server is null || held == 0 ? double.NaN : (double)(last.RssBytes - before.RssBytes) / held;
        double systemShare = server is null ? double.NaN : (last.SystemCpuSeconds - first.SystemCpuSeconds) / (last.CpuSeconds - first.CpuSeconds);
        return new SpeakingResult(target, count, held, passes, turns, backendTimes.MeanTurnMs, errors.ToString(), errors.Total, cpuPerSessionMinute, systemShare, rssPerSession, toolCpu, window, own);
    }

    public async Task<IdleResult> RunIdleAsync(string target, int count)
    {
        await using ServerProcess? server = await launcher.StartAsync(target);
        var uri = new Uri(server?.WebSocketUri ?? target);
        await WarmUpAsync(uri);
        var errors = new ErrorCounts();
        long heapBefore = server is null ? -1 : await server.ManagedHeapAsync();
        ProcessSample before = server?.Sample() ?? default;
        var sockets = new SessionSocket[count];
        var opened = new bool[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism }, async (i, ct) =>
        {
            sockets[i] = new SessionSocket(errors, static (_, _) => { }, 2048);
            opened[i] = await sockets[i].ConnectAsync(uri, options.ApiKey, ct);
        });

        int held = opened.Count(o => o);
        await Task.Delay(1000);
        long heapAfter = server is null ? -1 : await server.ManagedHeapAsync();
        ProcessSample after = server?.Sample() ?? default;
        held = Math.Min(held, sockets.Count(s => s.IsOpen));
        if (options.HoldSeconds > 0)
        {
            // Keeps the idle sessions open so the server can be inspected (e.g. `dotnet-gcdump collect -p PID`).
            Console.Error.WriteLine($"holding {held} idle sessions for {options.HoldSeconds} s; server pid {server?.Pid}");
            await Task.Delay(TimeSpan.FromSeconds(options.HoldSeconds));
        }

        await Parallel.ForEachAsync(sockets, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism }, async (s, _) => await s.DisposeAsync());
        double heapPerSession = heapBefore < 0 || heapAfter < 0 || held == 0 ? double.NaN : (double)(heapAfter - heapBefore) / held;
        double rssPerSession = server is null || held == 0 ? double.NaN : (double)(after.RssBytes - before.RssBytes) / held;
        return new IdleResult(target, count, held, rssPerSession, heapPerSession, errors.ToString());
    }

    /// <summary>
    /// Ten sessions speak two passes first, staggered, so JIT compilation and backend connections are not measured. Two
    /// sessions and one pass were not enough: under load a response can start before its transcript has arrived and
    /// wait for it, a path two quiet sessions never take, and the first measured turns that took it compiled it
    /// (12–20 ms of the gateway's own time each, traced stage by stage, on the JIT build; in the warm-up now).
    /// </summary>
    private async Task WarmUpAsync(Uri uri)
    {
        if (!options.WarmUp)
        {
            return;
        }

        const int Sessions = 10;
        const int Passes = 2;
        var errors = new ErrorCounts();
        int passChunks = fixture.Chunks.Length + SpeakingSession.GapChunks;
        var warm = Enumerable.Range(0, Sessions).Select(_ => new SpeakingSession(fixture, errors, passChunks * Passes)).ToArray();
        long start = Stopwatch.GetTimestamp();
        long passTicks = Stopwatch.Frequency * SpeechFixture.ChunkMs / 1000 * passChunks;
        await Task.WhenAll(warm.Select(async (s, i) =>
        {
            if (await s.OpenAsync(uri, options.ApiKey, CancellationToken.None))
            {
                long offset = passTicks * i / Sessions;
                await s.SpeakAsync(start + offset, start + offset + (passTicks * Passes), CancellationToken.None);
                await s.FinishAsync(TimeSpan.FromSeconds(10));
            }

            await s.DisposeAsync();
        }));
        if (errors.Total > 0)
        {
            Console.Error.WriteLine($"warm-up against {uri}: {errors}");
        }
    }
}
