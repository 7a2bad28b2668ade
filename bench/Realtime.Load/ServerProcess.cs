using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Realtime.Load;

/// <summary>
/// The server under test, started as a child process on 127.0.0.1 and a free port so its pid is known: CPU time and
/// RSS come from /proc, the managed heap from its loopback-only diagnostics endpoint.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly double ClockTicksPerSecond = 100; // USER_HZ on Linux
    private readonly Process _process;
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private ServerProcess(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int Pid => _process.Id;

    public string WebSocketUri => $"ws://127.0.0.1:{Port}/v1/realtime";

    /// <summary>Starts <paramref name="program"/> (a .dll run with `dotnet`, or a native binary) and waits for /healthz.</summary>
    public static async Task<ServerProcess> StartAsync(string program, IEnumerable<string> arguments, string workingDirectory)
    {
        int port = FreePort();
        var start = new ProcessStartInfo
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (program.EndsWith(".dll", StringComparison.Ordinal))
        {
            start.FileName = "dotnet";
            start.ArgumentList.Add(program);
        }
        else
        {
            start.FileName = program;
        }

        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["DOTNET_gcServer"] = "0";
        ToolSockets.Restore(start);
        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start " + program);
        process.OutputDataReceived += (_, e) => Forward(e.Data);
        process.ErrorDataReceived += (_, e) => Forward(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var server = new ServerProcess(process, port);
        await server.WaitHealthyAsync();
        // For attaching a profiler (perf record -p, dotnet-trace -p) to the server under test.
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} server pid {process.Id} listening on port {port}");
        return server;
    }

    /// <summary>CPU seconds (user + system) and resident set so far.</summary>
    public ProcessSample Sample()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        // Fields after the command name (which may contain spaces) start after the last ')'.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        double system = long.Parse(fields[12], CultureInfo.InvariantCulture) / ClockTicksPerSecond;
        double cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) / ClockTicksPerSecond) + system;
        long rss = 0;
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                rss = long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture) * 1024;
            }
        }

        return new ProcessSample(cpu, system, rss, Stopwatch.GetTimestamp(), ContextSwitches());
    }

    /// <summary>Voluntary + involuntary context switches of each of the process's threads so far.</summary>
    private Dictionary<int, long> ContextSwitches()
    {
        var perThread = new Dictionary<int, long>();
        foreach (string task in Directory.EnumerateDirectories($"/proc/{Pid}/task"))
        {
            try
            {
                long total = 0;
                foreach (string line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), CultureInfo.InvariantCulture);
                    }
                }

                perThread[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = total;
            }
            catch (IOException)
            {
                // The thread ended between the listing and the read.
            }
        }

        return perThread;
    }

    /// <summary>Managed heap after a forced full GC (diagnostics endpoint), or -1 when the server does not offer it.</summary>
    public async Task<long> ManagedHeapAsync()
    {
        using HttpResponseMessage response = await _http.GetAsync($"http://127.0.0.1:{Port}/diagnostics/memory");
        if (!response.IsSuccessStatusCode)
        {
            return -1;
        }

        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return body.RootElement.GetProperty("managed_heap_bytes").GetInt64();
    }

    /// <summary>Allocation, thread-pool and lock counters (diagnostics endpoint, no GC), or null when the server does not offer them.</summary>
    public async Task<RuntimeCounters?> RuntimeCountersAsync()
    {
        using HttpResponseMessage response = await _http.GetAsync($"http://127.0.0.1:{Port}/diagnostics/runtime");
        if (!response.IsSuccessStatusCode)
        {
            return null;
        }

        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        JsonElement root = body.RootElement;
        return new RuntimeCounters(root.GetProperty("allocated_bytes").GetInt64(), root.GetProperty("threadpool_completed_items").GetInt64(), root.GetProperty("lock_contentions").GetInt64());
    }

    /// <summary>The server's own-time histogram as its /metrics page shows it now (empty when it has none).</summary>
    public async Task<OwnTimeHistogram> GatewayOwnTimeAsync()
    {
        using HttpResponseMessage response = await _http.GetAsync($"http://127.0.0.1:{Port}/metrics");
        return response.IsSuccessStatusCode ? OwnTimeHistogram.Parse(await response.Content.ReadAsStringAsync()) : OwnTimeHistogram.Empty;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
        _http.Dispose();
    }

    private async Task WaitHealthyAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"server exited with code {_process.ExitCode} before it listened");
            }

            try
            {
                using HttpResponseMessage response = await _http.GetAsync($"http://127.0.0.1:{Port}/healthz");
                if (response.StatusCode == HttpStatusCode.OK)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("server did not become healthy in 60 s");
    }

    private static void Forward(string? line)
    {
        if (line is { Length: > 0 })
        {
            Console.Error.WriteLine("  [server] " + line);
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
