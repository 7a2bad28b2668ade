using System.Diagnostics.Metrics;
using Realtime.Host.Observability;

namespace Realtime.Host.Telephony;

/// <summary>Phone call instruments, on the server's meter (exported at `/metrics` with the others). Tags from fixed sets only.</summary>
internal static class TelephonyMetrics
{
    private static readonly Meter Meter = new(RealtimeMetrics.MeterName);

    public static readonly Counter<long> Calls = Meter.CreateCounter<long>("realtime.telephony.calls", "{call}", "Phone calls started (a media stream's `start`).");

    public static readonly UpDownCounter<long> CallsOpen = Meter.CreateUpDownCounter<long>("realtime.telephony.calls.open", "{call}", "Phone calls in progress.");

    public static readonly Histogram<double> CallDuration = Meter.CreateHistogram<double>("realtime.telephony.call.duration", "s", "Length of ended calls.");

    public static readonly Counter<long> Frames = Meter.CreateCounter<long>("realtime.telephony.frames", "{frame}", "Media frames, by direction (in, out).");

    public static readonly Counter<long> BargeIns = Meter.CreateCounter<long>("realtime.telephony.barge_ins", "{event}", "Playback cleared because the caller spoke or pressed a key (tag cause).");

    public static readonly Counter<long> ToolCalls = Meter.CreateCounter<long>("realtime.telephony.tool_calls", "{call}", "Tool calls on phone calls, by result (ok, error, timeout, end_call).");

    public static readonly Histogram<double> FirstMediaLatency = Meter.CreateHistogram<double>(
        "realtime.telephony.first_media.latency",
        "s",
        "From the end of the caller's turn (VAD's audio_end_ms on the audio clock: last word plus the silence that ends a turn) to the first media frame of the answer.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10] });
}
