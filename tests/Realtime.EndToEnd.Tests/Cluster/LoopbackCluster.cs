using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Realtime.EndToEnd.Tests.Cluster;

/// <summary>
/// The real server as N processes on free loopback ports behind Debian's HAProxy, configured from the template in
/// deploy/haproxy/haproxy.cfg (as scripts/cluster.sh does). Every process is stopped on dispose.
/// </summary>
internal sealed class LoopbackCluster : IAsyncDisposable
{
    public const string ApiKey = "sk-cluster-test-key-0123456789";

    /// <summary>The signing key every replica shares, so a secret minted on one opens sessions on all.</summary>
    public static readonly string SigningKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 5 + 3)).ToArray());

    private readonly string _dir = Directory.CreateTempSubdirectory("realtime-cluster-").FullName;
    private Process? _haproxy;

    private LoopbackCluster()
    {
    }

    public List<Replica> Replicas { get; } = [];

    /// <summary>http://127.0.0.1:port of the balancer.</summary>
    public Uri Balancer { get; private set; } = null!;

    public string WsBase => $"ws://{Balancer.Authority}/v1";

    public Uri Stats { get; private set; } = null!;

    public ConcurrentQueue<string> BalancerLog { get; } = new();

    public static async Task<LoopbackCluster> StartAsync(int replicas, double drainDelaySeconds, CancellationToken cancellationToken)
    {
        var cluster = new LoopbackCluster();
        try
        {
            string configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;
            string server = Path.Combine(Repo.Root, "src", "Realtime.Host", "bin", configuration, "net10.0", "realtime-fast.dll");
            Assert.True(File.Exists(server), server);
            for (int i = 0; i < replicas; i++)
            {
                cluster.Replicas.Add(Replica.Start($"r{i + 1}", server, FreePort(), drainDelaySeconds));
            }

            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
            foreach (Replica replica in cluster.Replicas)
            {
                await WaitForAsync(async () => (await TryGetAsync(http, new Uri(replica.Http, "/readyz"), cancellationToken)) == HttpStatusCode.OK, $"{replica.Name} ready", cancellationToken);
            }

            cluster.StartBalancer();
            await WaitForAsync(
                async () => cluster._haproxy!.HasExited
                    ? throw new InvalidOperationException("haproxy exited: " + string.Join('\n', cluster.BalancerLog))
                    : (await TryGetAsync(http, new Uri(cluster.Balancer, "/readyz"), cancellationToken)) == HttpStatusCode.OK,
                "the balancer: " + string.Join('\n', cluster.BalancerLog),
                cancellationToken);
            await WaitForAsync(async () => (await cluster.ServerStatesAsync(cancellationToken)).Values.All(s => s == "UP"), "every replica UP in HAProxy", cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>HAProxy's view of each replica (UP, DOWN, "UP 1/2", …), from its stats CSV.</summary>
    public async Task<Dictionary<string, string>> ServerStatesAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string csv = await http.GetStringAsync(new Uri(Stats, "/stats;csv"), cancellationToken);
        var states = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string line in csv.Split('\n'))
        {
            string[] fields = line.Split(',');
            // pxname,svname,...,status is the 18th column.
            if (fields.Length > 17 && fields[0] == "replicas" && fields[1] is not ("BACKEND" or "FRONTEND"))
            {
                states[fields[1]] = fields[17];
            }
        }

        return states;
    }

    /// <summary>HAProxy's stats CSV: name, status, current and total sessions of each server.</summary>
    public async Task<string> StatsCsvAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        string csv = await http.GetStringAsync(new Uri(Stats, "/stats;csv"), cancellationToken);
        return string.Join('\n', csv.Split('\n').Select(l => l.Split(',')).Where(f => f.Length > 17).Select(f => $"{f[0]} {f[1]} status={f[17]} scur={f[4]} stot={f[7]}"));
    }

    public static async Task WaitForAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken, int timeoutSeconds = 60)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(timeoutSeconds), "timed out waiting for " + what);
            await Task.Delay(50, cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (Replica replica in Replicas)
        {
            await replica.DisposeAsync();
        }

        if (_haproxy is { HasExited: false })
        {
            _haproxy.Kill(entireProcessTree: true);
            await _haproxy.WaitForExitAsync(CancellationToken.None);
        }

        _haproxy?.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>The template with this cluster's addresses: what scripts/cluster.sh writes too.</summary>
    public static string Configure(string template, string bind, string statsBind, IEnumerable<(string Name, int Port)> servers) =>
        template.Replace("{{BIND}}", bind, StringComparison.Ordinal)
            .Replace("{{STATS_BIND}}", statsBind, StringComparison.Ordinal)
            .Replace("{{SERVERS}}", string.Join('\n', servers.Select(s => $"    server {s.Name} 127.0.0.1:{s.Port}")), StringComparison.Ordinal);

    private static async Task<HttpStatusCode?> TryGetAsync(HttpClient http, Uri uri, CancellationToken cancellationToken)
    {
        try
        {
            using HttpResponseMessage response = await http.GetAsync(uri, cancellationToken);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    private void StartBalancer()
    {
        int port = FreePort();
        int statsPort = FreePort();
        Balancer = new Uri($"http://127.0.0.1:{port}");
        Stats = new Uri($"http://127.0.0.1:{statsPort}");
        string template = File.ReadAllText(Path.Combine(Repo.Root, "deploy", "haproxy", "haproxy.cfg"));
        string config = Path.Combine(_dir, "haproxy.cfg");
        File.WriteAllText(config, Configure(template, $"127.0.0.1:{port}", $"127.0.0.1:{statsPort}", Replicas.Select(r => (r.Name, r.Port))));
        string haproxy = File.Exists("/usr/sbin/haproxy") ? "/usr/sbin/haproxy" : "haproxy";
        var start = new ProcessStartInfo(haproxy) { ArgumentList = { "-db", "-f", config }, RedirectStandardOutput = true, RedirectStandardError = true };
        try
        {
            _haproxy = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("haproxy is not installed: run scripts/setup.sh (it installs Debian's haproxy)", e);
        }

        _haproxy.OutputDataReceived += (_, e) => { if (e.Data is not null) { BalancerLog.Enqueue(e.Data); } };
        _haproxy.ErrorDataReceived += (_, e) => { if (e.Data is not null) { BalancerLog.Enqueue(e.Data); } };
        _haproxy.BeginOutputReadLine();
        _haproxy.BeginErrorReadLine();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>One server process, its console output kept.</summary>
    internal sealed class Replica : IAsyncDisposable
    {
        private Replica(string name, int port, Process process)
        {
            Name = name;
            Port = port;
            Process = process;
        }

        public string Name { get; }

        public int Port { get; }

        public Process Process { get; }

        public Uri Http => new($"http://127.0.0.1:{Port}");

        public string WsBase => $"ws://127.0.0.1:{Port}/v1";

        public ConcurrentQueue<string> Log { get; } = new();

        public static Replica Start(string name, string server, int port, double drainDelaySeconds)
        {
            var start = new ProcessStartInfo("dotnet")
            {
                ArgumentList =
                {
                    server,
                    "--urls", $"http://127.0.0.1:{port}",
                    $"--Realtime:ApiKeys:0={ApiKey}",
                    $"--Realtime:ClientSecrets:SigningKeys:0={SigningKey}",
                    "--Realtime:Limits:DrainDelaySeconds=" + drainDelaySeconds.ToString(CultureInfo.InvariantCulture),
                    "--Realtime:Limits:DrainGracePeriodSeconds=20",
                    "--Logging:LogLevel:Default=Warning",
                    "--Logging:LogLevel:Realtime.Host.Operations=Information",
                },
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = Repo.Root,
            };
            var replica = new Replica(name, port, Process.Start(start)!);
            replica.Process.OutputDataReceived += (_, e) => { if (e.Data is not null) { replica.Log.Enqueue(e.Data); } };
            replica.Process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { replica.Log.Enqueue(e.Data); } };
            replica.Process.BeginOutputReadLine();
            replica.Process.BeginErrorReadLine();
            return replica;
        }

        /// <summary>What Kubernetes or systemd sends to stop it.</summary>
        public void Terminate()
        {
            using Process kill = Process.Start("kill", ["-TERM", Process.Id.ToString(CultureInfo.InvariantCulture)])!;
            kill.WaitForExit();
        }

        /// <summary>One gauge or counter of its /metrics (summed over label sets).</summary>
        public async Task<double> MetricAsync(string name, CancellationToken cancellationToken)
        {
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            string metrics = await http.GetStringAsync(new Uri(Http, "/metrics"), cancellationToken);
            double sum = 0;
            foreach (string line in metrics.Split('\n'))
            {
                if (line.StartsWith(name, StringComparison.Ordinal) && line.Length > name.Length && line[name.Length] is '{' or ' ')
                {
                    sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
                }
            }

            return sum;
        }

        /// <summary>Resident memory of the process (VmRSS), in bytes.</summary>
        public long ResidentBytes()
        {
            foreach (string line in File.ReadLines($"/proc/{Process.Id}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
                }
            }

            return 0;
        }

        /// <summary>Lines the console logger wrote at error or critical level.</summary>
        public IEnumerable<string> Errors => Log.Where(l => l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal));

        public string LogText => string.Join('\n', Log);

        public async ValueTask DisposeAsync()
        {
            if (!Process.HasExited)
            {
                Process.Kill(entireProcessTree: true);
                await Process.WaitForExitAsync(CancellationToken.None);
            }

            Process.Dispose();
        }
    }
}
