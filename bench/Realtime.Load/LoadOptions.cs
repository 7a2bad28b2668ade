using System.Globalization;

namespace Realtime.Load;

/// <summary>Command line: `--target ours,baseline --backend instant --sessions 100,500 --duration 35 --idle 1000,10000`.</summary>
public sealed class LoadOptions
{
    public string[] Targets { get; private set; } = ["ours", "baseline"];
    public string Backend { get; private set; } = "instant";
    public int[] Sessions { get; private set; } = [100];
    public int DurationSeconds { get; private set; } = 30;
    public int[] Idle { get; private set; } = [];
    public string Fixture { get; private set; } = "weather_question.wav";
    public string? AudioDirectory { get; private set; }
    public string? ServerBinary { get; private set; }
    public string? BaselineBinary { get; private set; }
    public string? Report { get; private set; }
    public string ApiKey { get; private set; } = "sk-load-test";
    public string Vad { get; private set; } = "silero";
    public bool WarmUp { get; private set; } = true;
    public int HoldSeconds { get; private set; }
    public int BackendConcurrency { get; private set; } = 1024;

    /// <summary>How long, after the last audio, the answers of turns still in flight are waited for (a loaded machine needs longer).</summary>
    public int SettleSeconds { get; private set; } = 3;

    /// <summary>`--overhead`: the issue #13 side-by-side workloads instead of speaking sessions.</summary>
    public bool Overhead { get; private set; }

    public int OverheadSeconds { get; private set; } = 5;

    /// <summary>`--rounds`: windows per workload and target in overhead runs, interleaved across targets; the median counts.</summary>
    public int Rounds { get; private set; } = 3;

    /// <summary>`--workloads text,single,handshake,append20,append100`: the overhead workloads to run (all by default), e.g. one at a time under a profiler.</summary>
    public string[] Workloads { get; private set; } = ["text", "single", "handshake", "append20", "append100"];

    public bool Runs(string workload) => Workloads.Contains(workload);

    public static LoadOptions Parse(string[] args)
    {
        var options = new LoadOptions();
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--no-warmup")
            {
                options.WarmUp = false;
                continue;
            }

            if (args[i] == "--overhead")
            {
                options.Overhead = true;
                continue;
            }

            string value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException("missing value for " + args[i]);
            switch (args[i])
            {
                case "--target": options.Targets = value.Split(','); break;
                case "--backend": options.Backend = value is "instant" or "builtin" ? value : throw new ArgumentException("--backend instant|builtin"); break;
                case "--sessions": options.Sessions = value == "none" ? [] : Numbers(value); break;
                case "--duration": options.DurationSeconds = Bounded(int.Parse(value, CultureInfo.InvariantCulture), 2, 600, "--duration"); break;
                case "--idle": options.Idle = value == "none" ? [] : Numbers(value); break;
                case "--fixture": options.Fixture = value; break;
                case "--audio-dir": options.AudioDirectory = value; break;
                case "--server": options.ServerBinary = value; break;
                case "--baseline": options.BaselineBinary = value; break;
                case "--report": options.Report = value; break;
                case "--api-key": options.ApiKey = value; break;
                case "--hold": options.HoldSeconds = Bounded(int.Parse(value, CultureInfo.InvariantCulture), 0, 600, "--hold"); break;
                case "--backend-concurrency": options.BackendConcurrency = Bounded(int.Parse(value, CultureInfo.InvariantCulture), 1, 65_536, "--backend-concurrency"); break;
                case "--settle": options.SettleSeconds = Bounded(int.Parse(value, CultureInfo.InvariantCulture), 1, 600, "--settle"); break;

                case "--seconds": options.OverheadSeconds = Bounded(int.Parse(value, CultureInfo.InvariantCulture), 1, 120, "--seconds"); break;
                case "--rounds": options.Rounds = Bounded(int.Parse(value, CultureInfo.InvariantCulture), 1, 15, "--rounds"); break;
                case "--workloads": options.Workloads = value.Split(','); break;
                case "--vad": options.Vad = value is "silero" or "energy" ? value : throw new ArgumentException("--vad silero|energy"); break;
                default: throw new ArgumentException("unknown option " + args[i]);
            }

            i++;
        }

        foreach (string target in options.Targets)
        {
            if (target is not ("ours" or "baseline" or "stock" or "ours-instant") && !target.StartsWith("ws://127.0.0.1:", StringComparison.Ordinal))
            {
                throw new ArgumentException($"--target {target}: ours, ours-instant, baseline, stock or a ws://127.0.0.1:PORT/v1/realtime url (loopback only)");
            }
        }

        return options;
    }

    private static int[] Numbers(string value) =>
        value.Split(',').Select(v => Bounded(int.Parse(v, CultureInfo.InvariantCulture), 1, 20_000, "count")).ToArray();

    private static int Bounded(int value, int min, int max, string name) =>
        value >= min && value <= max ? value : throw new ArgumentException($"{name} must be {min}..{max}");
}
