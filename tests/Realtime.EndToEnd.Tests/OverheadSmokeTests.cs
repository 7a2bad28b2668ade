using System.Globalization;
using System.Text.RegularExpressions;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// The overhead harness (bench/Realtime.Load --overhead) end to end, tiny: it starts the stock ASP.NET Core server
/// and this one as child processes and runs the text workloads (its raw-frame client and ClientWebSocket clients) and
/// the handshake workload for a second each. Proves the instrument and its clients work against both servers; the
/// figures are not asserted.
/// </summary>
public sealed partial class OverheadSmokeTests
{
    [Fact]
    public async Task Text_and_handshake_workloads_run_against_stock_and_ours_without_errors()
    {
        // The tool starts the stock server from its Release build (ServerLauncher).
        string stock = Path.Combine(Repo.Root, "bench", "Realtime.Stock", "bin", "Release", "net10.0", "Realtime.Stock.dll");
        Assert.True(File.Exists(stock), stock);

        (int exitCode, string report, string errors) = await LoadTool.RunAsync(
            "--overhead", "--target", "stock,ours", "--idle", "none", "--seconds", "1", "--rounds", "1", "--workloads", "text,single,handshake", "--no-warmup", "--server", LoadTool.Server, "--audio-dir", LoadTool.AudioDirectory);
        Assert.True(exitCode == 0, report + errors);
        Assert.Contains("| errors | none | none |", report, StringComparison.Ordinal);
        foreach (Regex row in new[] { FrameClientRow(), WebSocketClientRow(), HandshakeRow() })
        {
            Match match = row.Match(report);
            Assert.True(match.Success, report);
            // Both servers answered: a rate above zero in each column.
            Assert.True(double.Parse(match.Groups[1].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 0, report);
            Assert.True(double.Parse(match.Groups[2].Value, NumberStyles.AllowThousands, CultureInfo.InvariantCulture) > 0, report);
        }
    }

    [GeneratedRegex(@"\| text responses, 32 connections: responses/s \| ([\d,]+) \| ([\d,]+) \|")]
    private static partial Regex FrameClientRow();

    [GeneratedRegex(@"\| same through ClientWebSocket clients: responses/s \| ([\d,]+) \| ([\d,]+) \|")]
    private static partial Regex WebSocketClientRow();

    [GeneratedRegex(@"\| handshake \+ session.created \+ close, 4 openers: sessions/s \| ([\d,]+) \| ([\d,]+) \|")]
    private static partial Regex HandshakeRow();
}
