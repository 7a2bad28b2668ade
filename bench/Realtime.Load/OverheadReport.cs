using System.Globalization;
using System.Text;

namespace Realtime.Load;

/// <summary>
/// The issue #13 table: each figure of every target, and for each non-stock target the ratio against stock in the
/// same run, oriented so that &gt; 1 means better than stock (more responses/s; less CPU, latency or memory).
/// </summary>
public static class OverheadReport
{
    public static string Format(LoadOptions options, IReadOnlyList<OverheadResult> results, string loadBefore, string loadAfter)
    {
        var text = new StringBuilder();
        OverheadResult stock = results.FirstOrDefault(r => r.Target == "stock") ?? results[0];
        OverheadResult[] others = results.Where(r => r != stock).ToArray();
        text.AppendLine(CultureInfo.InvariantCulture, $"## Overhead run {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {options.OverheadSeconds} s per workload window, {options.Rounds} rounds interleaved across the servers (median round)");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"- {Environment.ProcessorCount} cores shared with the load tool; load average before: {loadBefore}; after: {loadAfter}");
        text.AppendLine("- CPU = the server process's utime + stime (/proc) over the window; ratio = stock ÷ ours for costs, ours ÷ stock for rates (> 1: ours better)");
        text.AppendLine();
        var header = new StringBuilder("| workload | " + stock.Target);
        var rule = new StringBuilder("|---|---:");
        foreach (OverheadResult r in others)
        {
            header.Append(CultureInfo.InvariantCulture, $" | {r.Target} | ratio");
            rule.Append("|---:|---:");
        }

        text.AppendLine(header.Append(" |").ToString());
        text.AppendLine(rule.Append('|').ToString());
        Row(text, "text responses, 32 connections: responses/s", stock, others, r => r.ResponsesPerSecond, higherIsBetter: true, 0);
        Row(text, "same: server CPU µs per response", stock, others, r => r.CpuUsPerResponse, higherIsBetter: false, 1);
        Row(text, "same: of which user mode (utime) µs per response", stock, others, r => r.UserCpuUsPerResponse, higherIsBetter: false, 1);
        Row(text, "same: the load tool's own CPU µs per response (shares the cores)", stock, others, r => r.ToolCpuUsPerResponse, higherIsBetter: false, 1);
        Row(text, "same through ClientWebSocket clients: responses/s", stock, others, r => r.ResponsesPerSecondWebSocketClient, higherIsBetter: true, 0);
        Row(text, "same through ClientWebSocket clients: server CPU µs per response", stock, others, r => r.CpuUsPerResponseWebSocketClient, higherIsBetter: false, 1);
        Row(text, "same through ClientWebSocket clients: the load tool's CPU µs per response", stock, others, r => r.ToolCpuUsPerResponseWebSocketClient, higherIsBetter: false, 1);
        Row(text, "1 connection: response.create → response.done p50 (ms)", stock, others, r => Percentile(r.SingleLatencyMs, 0.5), higherIsBetter: false, 3);
        Row(text, "1 connection: p99 (ms)", stock, others, r => Percentile(r.SingleLatencyMs, 0.99), higherIsBetter: false, 3);
        Row(text, "1 connection: server CPU µs per response", stock, others, r => r.CpuUsPerResponseSingle, higherIsBetter: false, 1);
        Row(text, "handshake + session.created + close, 4 openers: sessions/s", stock, others, r => r.SessionsPerSecond, higherIsBetter: true, 0);
        Row(text, "same: server CPU s per 1 M sessions", stock, others, r => r.CpuUsPerSession, higherIsBetter: false, 0);
        Row(text, "same: of which user mode (utime) s per 1 M sessions", stock, others, r => r.UserCpuUsPerSession, higherIsBetter: false, 0);
        foreach (int count in options.Idle)
        {
            Row(text, $"idle sessions ({count:N0}): server RSS KiB per session", stock, others, r => r.Idle.TryGetValue(count, out IdleFigures? f) ? f.RssBytesPerSession / 1024 : double.NaN, higherIsBetter: false, 1);
            Row(text, $"idle sessions ({count:N0}): managed heap KiB per session", stock, others, r => r.Idle.TryGetValue(count, out IdleFigures? f) ? f.HeapBytesPerSession / 1024 : double.NaN, higherIsBetter: false, 1);
        }

        Row(text, "20 ms appends x32, no VAD: server CPU µs per append", stock, others, r => r.CpuUsPerAppend20, higherIsBetter: false, 1);
        Row(text, "100 ms appends x32: server CPU µs per append", stock, others, r => r.CpuUsPerAppend100, higherIsBetter: false, 1);
        Row(text, "context switches per response, 32 connections", stock, others, r => r.SwitchesPerResponse, higherIsBetter: false, 2);
        Row(text, "context switches per response, 1 connection", stock, others, r => r.SwitchesPerResponseSingle, higherIsBetter: false, 2);
        Row(text, "context switches per session (handshake + close)", stock, others, r => r.SwitchesPerSession, higherIsBetter: false, 2);
        Row(text, "context switches per 20 ms append", stock, others, r => r.SwitchesPerAppend20, higherIsBetter: false, 2);
        Row(text, "context switches per 100 ms append", stock, others, r => r.SwitchesPerAppend100, higherIsBetter: false, 2);
        CostRows(text, "response, 32 connections", stock, others, r => r.ResponseCost);
        CostRows(text, "response, 1 connection", stock, others, r => r.ResponseCostSingle);
        CostRows(text, "session (handshake + close)", stock, others, r => r.SessionCost);
        CostRows(text, "20 ms append", stock, others, r => r.AppendCost20);
        CostRows(text, "100 ms append", stock, others, r => r.AppendCost100);
        text.Append("| errors | ").Append(stock.Errors);
        foreach (OverheadResult r in others)
        {
            text.Append(" | ").Append(r.Errors).Append(" | ");
        }

        text.AppendLine(" |");
        text.AppendLine();
        return text.ToString();
    }

    private static void CostRows(StringBuilder text, string operation, OverheadResult stock, OverheadResult[] others, Func<OverheadResult, OperationCost> cost)
    {
        Row(text, $"bytes allocated per {operation}", stock, others, r => cost(r).AllocatedBytes, higherIsBetter: false, 0);
        Row(text, $"thread-pool work items per {operation}", stock, others, r => cost(r).ThreadPoolItems, higherIsBetter: false, 2);
    }

    private static void Row(StringBuilder text, string label, OverheadResult stock, OverheadResult[] others, Func<OverheadResult, double> value, bool higherIsBetter, int decimals)
    {
        double baseline = value(stock);
        text.Append("| ").Append(label).Append(" | ").Append(F(baseline, decimals));
        foreach (OverheadResult r in others)
        {
            double v = value(r);
            double ratio = higherIsBetter ? v / baseline : baseline / v;
            text.Append(" | ").Append(F(v, decimals)).Append(" | ").Append(F(ratio, 2)).Append('x');
        }

        text.AppendLine(" |");
    }

    private static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];

    private static string F(double value, int decimals) =>
        double.IsNaN(value) || double.IsInfinity(value) ? "—" : value.ToString("N" + decimals, CultureInfo.InvariantCulture);
}
