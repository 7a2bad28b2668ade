using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Realtime.Load;

/// <summary>The markdown report: machine, load, and each figure of every target side by side, ratios against ours.</summary>
public sealed class LoadReport
{
    private readonly StringBuilder _text = new();
    private readonly bool _instant;

    public LoadReport(LoadOptions options, SpeechFixture fixture, Func<string, string> describe)
    {
        _instant = options.Backend == "instant";
        Line($"## Load run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC — backend `{options.Backend}`, fixture `{fixture.Name}`, VAD `{options.Vad}`, {options.DurationSeconds} s per speaking run");
        Line();
        Line($"- Machine: {CpuModel()}, {Environment.ProcessorCount} cores, {MemoryTotal()} RAM, .NET {Environment.Version}, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}");
        Line($"- `uptime` before: {Uptime()}");
        foreach (string target in options.Targets)
        {
            Line($"- {target}: `{describe(target)}`");
        }

        Line("- The load tool, the instant backend (in the tool's process) and the server share the same cores; figures are wall-clock on loopback.");
        Line();
    }

    public string Text => _text.ToString();

    public void AddSpeaking(IReadOnlyList<SpeakingResult> results)
    {
        SpeakingResult first = results[0];
        Line($"### {first.Requested} paced speaking sessions");
        Line();
        Header(results.Select(r => r.Target));
        Row("sessions held", results, r => $"{r.Held}/{r.Requested}", null);
        Row("turns measured / fixture passes sent", results, r => $"{r.Turns.Count}/{r.Passes}", null);
        Percentiles("audio end → speech_stopped (ms; includes silence_duration_ms 500)", results, t => t.EndToStopped, 0);
        Percentiles("VAD lag: speech_stopped − send of audio_end_ms (ms)", results, t => t.VadLag, 0);
        Row("silence sent when speech_stopped arrived (ms of audio after the last speech chunk; ≥ 500), min", results,
            r => r.Turns.Count == 0 ? "–" : F(r.Turns.Min(t => t.SilenceSentMs), 0), null);
        Percentiles("audio end → first output_audio.delta (ms)", results, t => t.EndToFirstAudio, 0);
        Percentiles("speech_stopped → first output_audio.delta (ms)", results, t => t.StoppedToFirstAudio, 0);
        for (int i = 0; i < results.Count; i++)
        {
            // Gateway overhead: the stopped-to-audio latency minus what the backend itself spent on the turn.
            SpeakingResult r = results[i];
            _overheadShift[r.Target] = r.BackendTurnMs;
        }

        if (_instant)
        {
            // With the built-in engines, the engines' own time is in the latency; there is no backend time to subtract.
            Percentiles("gateway overhead = speech_stopped → first audio − backend time (ms)", results, t => t.StoppedToFirstAudio, 1);
            Row("backend handling per turn, mean (ms, subtracted above)", results, r => F(r.BackendTurnMs, 3), r => r.BackendTurnMs);
        }

        // The server's own split of each turn (ResponseTimeline): backend waits on the critical path taken out.
        Row("gateway's own time, speech_stopped → first audio, server-measured (ms; bucket bounds) p50 / p99", results,
            r => r.GatewayOwnTime.Total == 0 ? "–" : $"≤ {F(r.GatewayOwnTime.QuantileBoundMs(0.5), 2)} / ≤ {F(r.GatewayOwnTime.QuantileBoundMs(0.99), 2)}", null);
        Row("turns whose gateway share was ≤ 1 ms", results,
            r => r.GatewayOwnTime.Total == 0 ? "–" : $"{F(r.GatewayOwnTime.ShareAtOrUnder(1) * 100, 2)} % of {r.GatewayOwnTime.Total}", null);

        Row("errors", results, r => r.ErrorCount == 0 ? "0" : $"{r.ErrorCount}: {r.Errors}", null);
        Row("server CPU s per session-minute", results, r => F(r.CpuSecondsPerSessionMinute, 3), r => r.CpuSecondsPerSessionMinute);
        Row("share of that CPU spent in the kernel (stime)", results, r => F(r.SystemCpuShare * 100, 0) + " %", null);
        Row("server RSS growth per speaking session (KB)", results, r => F(r.RssBytesPerSession / 1024, 1), r => r.RssBytesPerSession);
        Row("load tool CPU s during the run (shares the cores)", results, r => F(r.ToolCpuSeconds, 1), null);
        Line();
    }

    public void AddIdle(IReadOnlyList<IdleResult> results)
    {
        IdleResult first = results[0];
        Line($"### {first.Requested} idle open sessions (after session.created, no traffic)");
        Line();
        Header(results.Select(r => r.Target));
        Row("sessions held", results, r => $"{r.Held}/{r.Requested}", null);
        Row("managed heap per idle session (bytes, after forced full GC)", results, r => F(r.HeapBytesPerSession, 0), r => r.HeapBytesPerSession);
        Row("RSS per idle session (bytes)", results, r => F(r.RssBytesPerSession, 0), r => r.RssBytesPerSession);
        Row("errors", results, r => r.Errors, null);
        Line();
    }

    public void Finish() => Line($"`uptime` after: {Uptime()}\n");

    private readonly Dictionary<string, double> _overheadShift = new(StringComparer.Ordinal);

    private void Percentiles(string name, IReadOnlyList<SpeakingResult> results, Func<TurnSample, double> value, int shift)
    {
        double[][] sorted = results.Select(r =>
        {
            double minus = shift == 1 ? _overheadShift[r.Target] : 0;
            return r.Turns.Select(t => value(t) - minus).Order().ToArray();
        }).ToArray();
        var cells = new List<string>();
        foreach (double[] s in sorted)
        {
            cells.Add(s.Length == 0 ? "–" : $"{F(P(s, 50), 2)} / {F(P(s, 90), 2)} / {F(P(s, 99), 2)} / {F(s[^1], 2)}");
        }

        for (int i = 1; i < sorted.Length; i++)
        {
            double[] o = sorted[0];
            double[] b = sorted[i];
            cells.Add(b.Length == 0 || o.Length == 0 ? "–" : $"{Ratio(P(b, 50), P(o, 50))} / {Ratio(P(b, 90), P(o, 90))} / {Ratio(P(b, 99), P(o, 99))} / {Ratio(b[^1], o[^1])}");
        }

        Line($"| {name}, p50 / p90 / p99 / max | {string.Join(" | ", cells)} |");
    }

    private void Header(IEnumerable<string> targets)
    {
        var names = targets.ToList();
        var ratios = names.Skip(1).Select(t => $"{t} ÷ {names[0]}");
        Line($"| figure | {string.Join(" | ", names.Concat(ratios))} |");
        Line($"|---|{string.Concat(Enumerable.Repeat("---|", (names.Count * 2) - 1))}");
    }

    private void Row<T>(string name, IReadOnlyList<T> results, Func<T, string> cell, Func<T, double>? value)
    {
        var cells = results.Select(cell).ToList();
        for (int i = 1; i < results.Count; i++)
        {
            cells.Add(value is null ? "" : Ratio(value(results[i]), value(results[0])));
        }

        Line($"| {name} | {string.Join(" | ", cells)} |");
    }

    /// <summary>Nearest-rank percentile of sorted values.</summary>
    public static double P(double[] sorted, int percentile) =>
        sorted[Math.Clamp((int)Math.Ceiling(percentile / 100.0 * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static string Ratio(double baseline, double ours) =>
        double.IsNaN(baseline) || double.IsNaN(ours) || ours <= 0 || baseline <= 0 ? "–" : (baseline / ours).ToString("0.00", CultureInfo.InvariantCulture) + "×";

    private static string F(double value, int decimals) =>
        double.IsNaN(value) ? "–" : value.ToString("N" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);

    private void Line(string text = "")
    {
        _text.AppendLine(text);
        Console.WriteLine(text);
    }

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";

    private static string MemoryTotal()
    {
        string? line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return line is null ? "?" : $"{long.Parse(line[9..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) / 1024 / 1024.0:0.0} GiB";
    }

    public static string Uptime()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("uptime") { RedirectStandardOutput = true })!;
            string text = process.StandardOutput.ReadToEnd().Trim();
            process.WaitForExit();
            return text;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return File.ReadAllText("/proc/loadavg").Trim();
        }
    }
}
