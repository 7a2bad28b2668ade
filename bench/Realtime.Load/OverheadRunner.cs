using System.Diagnostics;
using System.Text;

namespace Realtime.Load;

/// <summary>
/// The gateway-overhead workloads of issue #13, run against one freshly started server each: text responses from an
/// instant LLM (32 connections and 1), handshake + session.created + close, idle sessions, and paced appends without
/// VAD. Every figure is server CPU from /proc over a window of a few seconds, so targets in the same run compare.
/// </summary>
public sealed class OverheadRunner(LoadOptions options, ServerLauncher launcher)
{
    private const int Connections = 32;
    private const int Openers = 4;
    private const int ConnectParallelism = 64;

    /// <summary>Out of band with its own input: the conversation stays empty, so every response costs the same.</summary>
    private static readonly byte[] ResponseCreate = Encoding.UTF8.GetBytes(
        """{"type":"response.create","response":{"conversation":"none","output_modalities":["text"],"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"hello"}]}]}}""");

    private static readonly byte[] NoTurnDetection = Encoding.UTF8.GetBytes(
        """{"type":"session.update","session":{"type":"realtime","audio":{"input":{"turn_detection":null}}}}""");

    private TimeSpan Window => TimeSpan.FromSeconds(options.OverheadSeconds);

    /// <summary>
    /// Runs every workload against every target, interleaved: all servers are started, then each workload's window
    /// runs once per target in turn, for <see cref="LoadOptions.Rounds"/> rounds (the first target rotating), and each
    /// figure is taken from the target's median round (by CPU per operation). A slow spell of the machine (it moves
    /// every server's figures by up to a third) then falls on every target alike instead of on whichever ran then.
    /// Idle sessions are measured afterwards on fresh servers, one target at a time.
    /// </summary>
    public async Task<List<OverheadResult>> RunAsync(IReadOnlyList<string> targets)
    {
        var results = targets.Select(t => new OverheadResult(t)).ToList();
        var servers = new List<ServerProcess>();
        try
        {
            foreach (string target in targets)
            {
                Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} starting {target} ({launcher.Describe(target)})");
                servers.Add(await launcher.StartAsync(target) ?? throw new InvalidOperationException("overhead runs need a server the tool starts"));
            }

            if (options.WarmUp)
            {
                for (int i = 0; i < servers.Count; i++)
                {
                    await WarmUpAsync(servers[i], results[i].Errors);
                }
            }

            foreach ((string name, string option, Func<ServerProcess, Uri, OverheadResult, Task<Measured>> workload) in Workloads())
            {
                if (!options.Runs(option))
                {
                    continue;
                }

                var rounds = new List<Measured>[servers.Count];
                for (int round = 0; round < options.Rounds; round++)
                {
                    for (int turn = 0; turn < servers.Count; turn++)
                    {
                        int i = (turn + round) % servers.Count;
                        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {name}, round {round + 1}/{options.Rounds}: {targets[i]}");
                        (rounds[i] ??= []).Add(await workload(servers[i], new Uri(servers[i].WebSocketUri), results[i]));
                    }
                }

                for (int i = 0; i < servers.Count; i++)
                {
                    List<Measured> measured = rounds[i];
                    measured.Sort((x, y) => x.Key.CompareTo(y.Key));
                    measured[measured.Count / 2].Apply(results[i]);
                }
            }
        }
        finally
        {
            foreach (ServerProcess server in servers)
            {
                await server.DisposeAsync();
            }
        }

        for (int i = 0; i < targets.Count; i++)
        {
            foreach (int count in options.Idle)
            {
                // A fresh server per count: what the idle sessions hold, not what earlier workloads left behind. The
                // warm-up lets the JIT finish tiering the paths a session takes: after 1 s of each, the smaps of the
                // idle window still grew ~2 MB of new code (memfd:doublemapper) and a few MB of native heap the JIT's
                // compilations left in malloc's arenas, i.e. one-time process growth that a per-session figure at
                // 1,000 counted as 4-5 KiB of every session (every server pays it; none of it scales with the sessions).
                Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {count:N0} idle sessions: {targets[i]}");
                await using ServerProcess server = (await launcher.StartAsync(targets[i]))!;
                var uri = new Uri(server.WebSocketUri);
                await TextResponsesAsync(server, uri, Connections, TimeSpan.FromSeconds(4), results[i].Errors);
                await HandshakesAsync(server, uri, TimeSpan.FromSeconds(3), results[i].Errors);
                results[i].Idle[count] = await IdleAsync(server, uri, count, results[i].Errors);
            }
        }

        return results;
    }

    /// <summary>
    /// JIT tiering and first-use set-up are not measured. A profile of the text workload after a 2 s warm-up still had
    /// ~18 % of the server's samples in the JIT (tier-0 → instrumented → tier-1 on two shared cores); after 20 s, none.
    /// Every server gets the same warm-up (`--no-warmup`: none, for a smoke test).
    /// </summary>
    private async Task WarmUpAsync(ServerProcess server, ErrorCounts errors)
    {
        var uri = new Uri(server.WebSocketUri);
        await TextResponsesAsync(server, uri, Connections, TimeSpan.FromSeconds(8), errors);
        await HandshakesAsync(server, uri, TimeSpan.FromSeconds(3), errors);
        await AppendsAsync(server, uri, 20, TimeSpan.FromSeconds(3), errors);
        // 100 ms appends take other paths (frames over several 4 KB transport segments): without their own warm-up
        // their first measured window held the JIT's tiering of those paths (perf: 8 % of the samples on the
        // tiered-compilation thread), 0.2-0.4 ms per append on a server that spends 0.1 ms once warm.
        await AppendsAsync(server, uri, 100, TimeSpan.FromSeconds(3), errors);
    }

    /// <summary>One measured window of a workload: the figure that orders the rounds, and what it sets in the result.</summary>
    private readonly record struct Measured(double Key, Action<OverheadResult> Apply);

    /// <summary>The workloads in the order they run, with the `--workloads` name that selects each; each makes one window.</summary>
    private IEnumerable<(string Name, string Option, Func<ServerProcess, Uri, OverheadResult, Task<Measured>> Run)> Workloads()
    {
        yield return ("text", "text", async (server, uri, result) =>
        {
            var w = await TextResponsesAsync(server, uri, Connections, Window, result.Errors);
            return new Measured(w.CpuUs, r => (r.ResponsesPerSecond, r.CpuUsPerResponse, r.UserCpuUsPerResponse, r.ToolCpuUsPerResponse, r.SwitchesPerResponse, r.ResponseCost) = (w.PerSecond, w.CpuUs, w.UserCpuUs, w.ToolCpuUs, w.Switches, w.Cost));
        });
        yield return ("text-websocket", "text", async (server, uri, result) =>
        {
            var w = await TextResponsesAsync(server, uri, Connections, Window, result.Errors, clientWebSocket: true);
            return new Measured(w.CpuUs, r => (r.ResponsesPerSecondWebSocketClient, r.CpuUsPerResponseWebSocketClient, r.ToolCpuUsPerResponseWebSocketClient) = (w.PerSecond, w.CpuUs, w.ToolCpuUs));
        });
        yield return ("single", "single", async (server, uri, result) =>
        {
            var w = await TextResponsesAsync(server, uri, 1, Window, result.Errors);
            return new Measured(w.CpuUs, r => (r.CpuUsPerResponseSingle, r.SingleLatencyMs, r.SwitchesPerResponseSingle, r.ResponseCostSingle) = (w.CpuUs, w.LatencyMs, w.Switches, w.Cost));
        });
        yield return ("handshake", "handshake", async (server, uri, result) =>
        {
            var w = await HandshakesAsync(server, uri, Window, result.Errors);
            return new Measured(w.CpuUs, r => (r.SessionsPerSecond, r.CpuUsPerSession, r.UserCpuUsPerSession, r.SwitchesPerSession, r.SessionCost) = (w.PerSecond, w.CpuUs, w.UserCpuUs, w.Switches, w.Cost));
        });
        yield return ("append20", "append20", async (server, uri, result) =>
        {
            var w = await AppendsAsync(server, uri, 20, Window, result.Errors);
            return new Measured(w.CpuUs, r => (r.CpuUsPerAppend20, r.SwitchesPerAppend20, r.AppendCost20) = (w.CpuUs, w.Switches, w.Cost));
        });
        yield return ("append100", "append100", async (server, uri, result) =>
        {
            var w = await AppendsAsync(server, uri, 100, Window, result.Errors);
            return new Measured(w.CpuUs, r => (r.CpuUsPerAppend100, r.SwitchesPerAppend100, r.AppendCost100) = (w.CpuUs, w.Switches, w.Cost));
        });
    }

    /// <summary>
    /// Each connection sends response.create, waits for response.done, and again, for the window. Through
    /// <see cref="FrameClient"/> (raw frames, one loop per connection) unless <paramref name="clientWebSocket"/>:
    /// ClientWebSocket costs the tool about as much CPU per response as the server it measures, on the same cores.
    /// </summary>
    private async Task<(double PerSecond, double CpuUs, double UserCpuUs, double ToolCpuUs, double[] LatencyMs, double Switches, OperationCost Cost)> TextResponsesAsync(ServerProcess server, Uri uri, int connections, TimeSpan window, ErrorCounts errors, bool clientWebSocket = false)
    {
        var clients = new IResponder[connections];
        for (int i = 0; i < connections; i++)
        {
            clients[i] = clientWebSocket
                ? await WebSocketResponder.ConnectAsync(uri, options.ApiKey, errors)
                : await FrameResponder.ConnectAsync(uri, options.ApiKey, errors);
        }

        RuntimeCounters? countersBefore = await server.RuntimeCountersAsync();
        ProcessSample before = server.Sample();
        TimeSpan toolBefore = Environment.CpuUsage.TotalTime;
        long stop = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
        var latencies = new List<double>[connections];
        await Task.WhenAll(clients.Select(async (client, i) =>
        {
            latencies[i] = [];
            while (Stopwatch.GetTimestamp() < stop)
            {
                long sent = Stopwatch.GetTimestamp();
                if (!await client.RespondAsync())
                {
                    return;
                }

                latencies[i].Add((client.DoneAt - sent) * 1000.0 / Stopwatch.Frequency);
            }
        }));
        ProcessSample after = server.Sample();
        double toolUs = (Environment.CpuUsage.TotalTime - toolBefore).TotalMicroseconds;
        RuntimeCounters? countersAfter = await server.RuntimeCountersAsync();
        await Parallel.ForEachAsync(clients, async (c, _) => await c.DisposeAsync());
        double[] all = latencies.SelectMany(l => l).Order().ToArray();
        double seconds = (double)(after.Timestamp - before.Timestamp) / Stopwatch.Frequency;
        return (all.Length / seconds, (after.CpuSeconds - before.CpuSeconds) * 1e6 / Math.Max(1, all.Length), UserCpuUs(before, after, all.Length), toolUs / Math.Max(1, all.Length), all, (double)after.SwitchesSince(before) / Math.Max(1, all.Length), RuntimeCounters.PerOperation(countersBefore, countersAfter, all.Length));
    }

    /// <summary>Four openers each connect, wait for session.created, close and wait for the server's close, for the window.</summary>
    private async Task<(double PerSecond, double CpuUs, double UserCpuUs, double Switches, OperationCost Cost)> HandshakesAsync(ServerProcess server, Uri uri, TimeSpan window, ErrorCounts errors)
    {
        RuntimeCounters? countersBefore = await server.RuntimeCountersAsync();
        ProcessSample before = server.Sample();
        long stop = Stopwatch.GetTimestamp() + (long)(window.TotalSeconds * Stopwatch.Frequency);
        int sessions = 0;
        await Task.WhenAll(Enumerable.Range(0, Openers).Select(async _ =>
        {
            while (Stopwatch.GetTimestamp() < stop)
            {
                var socket = new SessionSocket(errors, static (_, _) => { }, 2048);
                if (await socket.ConnectAsync(uri, options.ApiKey, CancellationToken.None))
                {
                    Interlocked.Increment(ref sessions);
                }

                await socket.DisposeAsync();
            }
        }));
        // Let the server finish the last closes before the sample.
        await Task.Delay(200);
        ProcessSample after = server.Sample();
        RuntimeCounters? countersAfter = await server.RuntimeCountersAsync();
        double seconds = (double)(after.Timestamp - before.Timestamp) / Stopwatch.Frequency;
        return (sessions / seconds, (after.CpuSeconds - before.CpuSeconds) * 1e6 / Math.Max(1, sessions), UserCpuUs(before, after, sessions), (double)after.SwitchesSince(before) / Math.Max(1, sessions), RuntimeCounters.PerOperation(countersBefore, countersAfter, sessions));
    }

    /// <summary>32 connections with turn detection off each append pcm16 at 24 kHz paced at real time: CPU µs per append.</summary>
    private async Task<(double CpuUs, double Switches, OperationCost Cost)> AppendsAsync(ServerProcess server, Uri uri, int chunkMs, TimeSpan window, ErrorCounts errors)
    {
        byte[] append = AppendMessage(chunkMs);
        var clients = new ResponseClient[Connections];
        for (int i = 0; i < Connections; i++)
        {
            clients[i] = new ResponseClient(errors);
            if (!await clients[i].Socket.ConnectAsync(uri, options.ApiKey, CancellationToken.None))
            {
                throw new InvalidOperationException($"could not open a session on {uri}: {errors}");
            }

            await clients[i].Socket.SendAsync(NoTurnDetection, CancellationToken.None);
            if (!await clients[i].Updated.WaitAsync(TimeSpan.FromSeconds(10)))
            {
                errors.Add("no_session_updated");
            }
        }

        int appends = 0;
        RuntimeCounters? countersBefore = await server.RuntimeCountersAsync();
        ProcessSample before = server.Sample();
        long start = Stopwatch.GetTimestamp();
        long stop = start + (long)(window.TotalSeconds * Stopwatch.Frequency);
        long interval = Stopwatch.Frequency * chunkMs / 1000;
        await Task.WhenAll(clients.Select(async (client, i) =>
        {
            // Staggered over one interval, as independent clients would be.
            for (long next = start + (interval * i / Connections); next < stop; next += interval)
            {
                long wait = next - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromSeconds((double)wait / Stopwatch.Frequency));
                }

                if (await client.Socket.SendAsync(append, CancellationToken.None))
                {
                    Interlocked.Increment(ref appends);
                }

                if (i == 0 && (next - start) / interval % 250 == 249)
                {
                    // Keeps the buffers of long windows bounded the same way on every server.
                    foreach (ResponseClient c in clients)
                    {
                        await c.Socket.SendAsync("""{"type":"input_audio_buffer.clear"}"""u8.ToArray(), CancellationToken.None);
                    }
                }
            }
        }));
        ProcessSample after = server.Sample();
        RuntimeCounters? countersAfter = await server.RuntimeCountersAsync();
        await Parallel.ForEachAsync(clients, async (c, _) => await c.Socket.DisposeAsync());
        return ((after.CpuSeconds - before.CpuSeconds) * 1e6 / Math.Max(1, appends), (double)after.SwitchesSince(before) / Math.Max(1, appends), RuntimeCounters.PerOperation(countersBefore, countersAfter, appends));
    }

    private async Task<IdleFigures> IdleAsync(ServerProcess server, Uri uri, int count, ErrorCounts errors)
    {
        long heapBefore = await server.ManagedHeapAsync();
        ProcessSample before = server.Sample();
        var sockets = new SessionSocket[count];
        var opened = new bool[count];
        await Parallel.ForAsync(0, count, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism }, async (i, ct) =>
        {
            sockets[i] = new SessionSocket(errors, static (_, _) => { }, 2048);
            opened[i] = await sockets[i].ConnectAsync(uri, options.ApiKey, ct);
        });
        await Task.Delay(1000);
        long heapAfter = await server.ManagedHeapAsync();
        ProcessSample after = server.Sample();
        int held = sockets.Count(s => s.IsOpen);
        await Parallel.ForEachAsync(sockets, new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism }, async (s, _) => await s.DisposeAsync());
        return new IdleFigures(held, (double)(after.RssBytes - before.RssBytes) / Math.Max(1, held), heapBefore < 0 || heapAfter < 0 ? double.NaN : (double)(heapAfter - heapBefore) / Math.Max(1, held));
    }

    /// <summary>
    /// The server's user-mode CPU (utime) per operation: what its own code and the runtime spent, without the kernel's
    /// TCP work (accept, loopback send and receive, close), which every server of the protocol pays alike.
    /// </summary>
    private static double UserCpuUs(ProcessSample before, ProcessSample after, int operations) =>
        ((after.CpuSeconds - after.SystemCpuSeconds) - (before.CpuSeconds - before.SystemCpuSeconds)) * 1e6 / Math.Max(1, operations);

    private static byte[] AppendMessage(int chunkMs)
    {
        // A quiet sawtooth: any pcm16 will do without VAD; what counts is the size (48 bytes per ms at 24 kHz).
        var pcm = new byte[chunkMs * 48];
        for (int i = 0; i < pcm.Length; i += 2)
        {
            BitConverter.TryWriteBytes(pcm.AsSpan(i), (short)((i % 200) - 100));
        }

        return Encoding.UTF8.GetBytes($$"""{"type":"input_audio_buffer.append","audio":"{{Convert.ToBase64String(pcm)}}"}""");
    }

    /// <summary>One connection of the text workloads: a request, then its response.done.</summary>
    private interface IResponder : IAsyncDisposable
    {
        /// <summary>When the last response.done arrived (Stopwatch ticks).</summary>
        long DoneAt { get; }

        /// <summary>Sends response.create and waits up to 10 s for response.done; false (error counted) otherwise.</summary>
        Task<bool> RespondAsync();
    }

    private sealed class FrameResponder(FrameClient client) : IResponder
    {
        private static readonly byte[] Frame = FrameClient.MaskedTextFrame(ResponseCreate);

        public long DoneAt => client.DoneAt;

        public static async Task<IResponder> ConnectAsync(Uri uri, string apiKey, ErrorCounts errors) =>
            new FrameResponder(await FrameClient.ConnectAsync(uri, apiKey, errors) ?? throw new InvalidOperationException($"could not open a session on {uri}: {errors}"));

        public Task<bool> RespondAsync() => client.RequestAsync(Frame);

        public ValueTask DisposeAsync() => client.DisposeAsync();
    }

    private sealed class WebSocketResponder(ResponseClient client, ErrorCounts errors) : IResponder
    {
        public long DoneAt => client.DoneAt;

        public static async Task<IResponder> ConnectAsync(Uri uri, string apiKey, ErrorCounts errors)
        {
            var client = new ResponseClient(errors);
            return await client.Socket.ConnectAsync(uri, apiKey, CancellationToken.None)
                ? new WebSocketResponder(client, errors)
                : throw new InvalidOperationException($"could not open a session on {uri}: {errors}");
        }

        public async Task<bool> RespondAsync()
        {
            if (!await client.Socket.SendAsync(ResponseCreate, CancellationToken.None) || !await client.Done.WaitAsync(TimeSpan.FromSeconds(10)))
            {
                errors.Add("response_timeout");
                return false;
            }

            return true;
        }

        public ValueTask DisposeAsync() => client.Socket.DisposeAsync();
    }

    /// <summary>A session whose receive loop signals response.done and session.updated.</summary>
    private sealed class ResponseClient
    {
        public ResponseClient(ErrorCounts errors)
        {
            Socket = new SessionSocket(errors, OnEvent, 8192);
        }

        public SessionSocket Socket { get; }

        public SemaphoreSlim Done { get; } = new(0);

        public SemaphoreSlim Updated { get; } = new(0);

        public long DoneAt { get; private set; }

        private void OnEvent(ServerEvent e, long arrived)
        {
            if (e.Type == "response.done")
            {
                DoneAt = arrived;
                Done.Release();
            }
            else if (e.Type == "session.updated")
            {
                Updated.Release();
            }
        }
    }
}

public sealed record IdleFigures(int Held, double RssBytesPerSession, double HeapBytesPerSession);

/// <summary>Every overhead figure of one target.</summary>
public sealed class OverheadResult(string target)
{
    public string Target { get; } = target;
    public ErrorCounts Errors { get; } = new();
    public double ResponsesPerSecond { get; set; }
    public double CpuUsPerResponse { get; set; }
    public double CpuUsPerResponseSingle { get; set; }
    public double[] SingleLatencyMs { get; set; } = [];
    public double SessionsPerSecond { get; set; }
    public double CpuUsPerSession { get; set; }
    public double UserCpuUsPerResponse { get; set; }

    /// <summary>The load tool's own CPU per response: it shares the cores with the server, so responses/s is bounded by both.</summary>
    public double ToolCpuUsPerResponse { get; set; }

    // The same text workload through ClientWebSocket clients (the tool's CPU per response is then about the server's).
    public double ResponsesPerSecondWebSocketClient { get; set; }
    public double CpuUsPerResponseWebSocketClient { get; set; }
    public double ToolCpuUsPerResponseWebSocketClient { get; set; }
    public double UserCpuUsPerSession { get; set; }
    public double CpuUsPerAppend20 { get; set; }
    public double CpuUsPerAppend100 { get; set; }

    // Context switches of the server's threads per operation: the thread hand-offs each one costs.
    public double SwitchesPerResponse { get; set; }
    public double SwitchesPerResponseSingle { get; set; }
    public double SwitchesPerSession { get; set; }
    public double SwitchesPerAppend20 { get; set; }
    public double SwitchesPerAppend100 { get; set; }

    // Allocations, thread-pool work items and lock contentions per operation (the server's /diagnostics/runtime).
    public OperationCost ResponseCost { get; set; } = OperationCost.Unknown;
    public OperationCost ResponseCostSingle { get; set; } = OperationCost.Unknown;
    public OperationCost SessionCost { get; set; } = OperationCost.Unknown;
    public OperationCost AppendCost20 { get; set; } = OperationCost.Unknown;
    public OperationCost AppendCost100 { get; set; } = OperationCost.Unknown;
    public Dictionary<int, IdleFigures> Idle { get; } = [];
}
