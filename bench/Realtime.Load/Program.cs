using Realtime.Load;

// Load generator for issue #8: opens paced speaking sessions and idle sessions against servers it starts itself on
// loopback, and reports latency, gateway overhead, CPU and memory side by side. Bounded in count and time.
LoadOptions options;
try
{
    options = LoadOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException)
{
    Console.Error.WriteLine(e.Message);
    Console.Error.WriteLine("usage: Realtime.Load [--target ours,baseline] [--backend instant|builtin] [--sessions 100,500|none] [--duration 35] [--idle 1000,10000|none] [--fixture weather_question.wav] [--vad silero|energy] [--no-warmup] [--hold S] [--backend-concurrency 1024] [--settle 3] [--audio-dir DIR] [--server realtime-fast.dll|binary] [--baseline Realtime.Baseline.dll] [--report bench/results/load.md]");
    return 2;
}

if (options.Overhead)
{
    ToolSockets.CompleteInline();
}

string repoRoot = FindRepoRoot();
string audioDirectory = options.AudioDirectory ?? Path.GetFullPath(Path.Combine(repoRoot, "../shared/audio"));
if (!Directory.Exists(audioDirectory))
{
    audioDirectory = "/work/shared/audio";
}

SpeechFixture fixture = SpeechFixture.Load(Path.Combine(audioDirectory, options.Fixture));
await using InstantBackendHost? backend = options.Backend == "instant" ? await InstantBackendHost.StartAsync() : null;
var launcher = new ServerLauncher(options, repoRoot, backend);
if (options.Overhead)
{
    // Issue #13: the side-by-side gateway-overhead table (scripts/overhead.sh).
    string loadBefore = File.ReadAllText("/proc/loadavg").Trim();
    List<OverheadResult> overhead = await new OverheadRunner(options, launcher).RunAsync(options.Targets);

    string table = OverheadReport.Format(options, overhead, loadBefore, File.ReadAllText("/proc/loadavg").Trim());
    Console.Out.Write(table);
    if (options.Report is { } overheadReport)
    {
        overheadReport = Path.IsPathRooted(overheadReport) ? overheadReport : Path.Combine(repoRoot, overheadReport);
        await File.AppendAllTextAsync(overheadReport, table);
    }

    return 0;
}

var runner = new LoadRunner(options, launcher, fixture, backend);
var report = new LoadReport(options, fixture, launcher.Describe);

foreach (int sessions in options.Sessions)
{
    var results = new List<SpeakingResult>();
    foreach (string target in options.Targets)
    {
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {sessions} speaking sessions against {target} for {options.DurationSeconds} s");
        results.Add(await runner.RunSpeakingAsync(target, sessions));
    }

    report.AddSpeaking(results);
}

foreach (int idle in options.Idle)
{
    var results = new List<IdleResult>();
    foreach (string target in options.Targets)
    {
        Console.Error.WriteLine($"{DateTime.UtcNow:HH:mm:ss} {idle} idle sessions against {target}");
        results.Add(await runner.RunIdleAsync(target, idle));
    }

    report.AddIdle(results);
}

report.Finish();
if (options.Report is { } path)
{
    path = Path.IsPathRooted(path) ? path : Path.Combine(repoRoot, path);
    Directory.CreateDirectory(Path.GetDirectoryName(path)!);
    await File.AppendAllTextAsync(path, report.Text);
}

return 0;

static string FindRepoRoot()
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
    {
        if (File.Exists(Path.Combine(dir, "Realtime.Fast.sln")))
        {
            return dir;
        }
    }

    return Directory.GetCurrentDirectory();
}
