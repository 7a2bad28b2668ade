using System.Text.RegularExpressions;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// The load generator (bench/Realtime.Load) end to end, tiny: it starts the real server as a child process, two
/// sessions speak one fixture pass each at real time against the instant gRPC backend, then 20 idle sessions are
/// measured through the gated diagnostics endpoint. Proves the instrument works; the figures are not asserted.
/// </summary>
public sealed partial class LoadSmokeTests
{
    [Fact]
    public async Task Two_speaking_sessions_and_twenty_idle_ones_are_measured_without_errors()
    {
        (int exitCode, string report, string errors) = await LoadTool.RunAsync(
            "--target", "ours", "--backend", "instant", "--sessions", "2", "--duration", "5", "--idle", "20", "--no-warmup", "--settle", "60", "--server", LoadTool.Server, "--audio-dir", LoadTool.AudioDirectory);
        Assert.True(exitCode == 0, report + errors);
        Assert.Contains("### 2 paced speaking sessions", report, StringComparison.Ordinal);
        Assert.Contains("| sessions held | 2/2 |", report, StringComparison.Ordinal);
        Assert.Contains("| turns measured / fixture passes sent | 2/2 |", report, StringComparison.Ordinal);
        Assert.Contains("| errors | 0 |", report, StringComparison.Ordinal);
        Assert.Contains("| sessions held | 20/20 |", report, StringComparison.Ordinal);
        Assert.Contains("| errors | none |", report, StringComparison.Ordinal);
        // The idle heap figure exists only when the diagnostics endpoint answered (it is off unless enabled).
        Assert.Matches(HeapRow(), report);
        // speech_stopped arrives after the 500 ms of silence server_vad waits for, never before: counted on the audio
        // clock (how much silence the tool had sent when the event arrived), not as wall time since the last speech
        // chunk's send, which a paced sender catching up after a stall on a loaded machine makes look short.
        Match stopped = SilenceSentRow().Match(report);
        Assert.True(stopped.Success, report);
        Assert.True(double.Parse(stopped.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 500, report);
    }

    [GeneratedRegex(@"\| managed heap per idle session \(bytes, after forced full GC\) \| -?[\d,]+ \|")]
    private static partial Regex HeapRow();

    [GeneratedRegex(@"\| silence sent when speech_stopped arrived \(ms of audio after the last speech chunk; ≥ 500\), min \| ([\d.,]+) \|")]
    private static partial Regex SilenceSentRow();
}
