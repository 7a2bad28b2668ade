using System.Diagnostics.Metrics;

namespace Realtime.Host.Observability;

/// <summary>
/// The server's instruments on one static Meter (exported at `/metrics`). Tags carry only event types, codes and
/// stage names from fixed sets: never keys, session ids or audio.
/// </summary>
internal static class RealtimeMetrics
{
    /// <summary>The meter name the exporter subscribes to.</summary>
    public const string MeterName = "Realtime.Fast";

    private static readonly Meter Meter = new(MeterName);

    public static readonly UpDownCounter<long> SessionsOpen = Meter.CreateUpDownCounter<long>("realtime.sessions.open", "{session}", "Realtime sessions currently open.");

    /// <summary>
    /// TCP connections a Realtime listener is serving itself (upgrades on plaintext endpoints, tag server.port); every
    /// other connection is Kestrel's and counted in its kestrel.active_connections.
    /// </summary>
    public static readonly UpDownCounter<long> ConnectionsOpen = Meter.CreateUpDownCounter<long>("realtime.connections.open", "{connection}", "TCP connections served by the Realtime listener itself (tag server.port); Kestrel counts the others.");

    public static readonly Counter<long> Sessions = Meter.CreateCounter<long>("realtime.sessions", "{session}", "Realtime sessions opened since start.");

    public static readonly Counter<long> SessionsRejected = Meter.CreateCounter<long>("realtime.sessions.rejected", "{session}", "Upgrades refused by a limit or drain (tag reason).");

    // Per-event counts are bumped in EventCounts and read here at scrape time (no metrics pipeline per event).
    internal static readonly ObservableCounter<long> EventsIn = Meter.CreateObservableCounter("realtime.events.in", EventCounts.EventsIn, "{event}", "Client events received, by type.");

    internal static readonly ObservableCounter<long> EventsOut = Meter.CreateObservableCounter("realtime.events.out", EventCounts.EventsOut, "{event}", "Server events sent, by type.");

    internal static readonly ObservableCounter<long> BytesIn = Meter.CreateObservableCounter("realtime.bytes.in", EventCounts.BytesIn, "By", "Client message payload bytes.");

    internal static readonly ObservableCounter<long> BytesOut = Meter.CreateObservableCounter("realtime.bytes.out", EventCounts.BytesOut, "By", "Server message payload bytes.");

    public static readonly Counter<long> Errors = Meter.CreateCounter<long>("realtime.errors", "{event}", "`error` events sent, by error code.");

    public static readonly Counter<long> Closes = Meter.CreateCounter<long>("realtime.closes", "{session}", "Sessions ended, by close code and side.");

    public static readonly Histogram<double> StageLatency = Meter.CreateHistogram<double>(
        "realtime.stage.latency",
        "s",
        "Latency of a pipeline stage as the client sees it (speech end to transcript / first text / first audio; response.create to first delta).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
}
