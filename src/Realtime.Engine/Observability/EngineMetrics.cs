using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Realtime.Engine.Observability;

/// <summary>
/// The Engine's instruments, on a static Meter of the same name as the Host's (the Engine cannot reference the Host;
/// the exporter subscribes by name). Tags are stage names from a fixed set.
/// </summary>
public static class EngineMetrics
{
    /// <summary>The meter name (the Host's exporter subscribes to it).</summary>
    public const string MeterName = "Realtime.Fast";

    private static readonly Meter Meter = new(MeterName);

    // Per-frame work only bumps a number; the exporter reads it when it scrapes, so listeners cost the audio path nothing.
    private static long _vadFrames;

    private static readonly ObservableCounter<long> VadFramesCounter = Meter.CreateObservableCounter("realtime.vad.frames", () => Interlocked.Read(ref _vadFrames), "{frame}", "Audio frames scored by voice activity detection.");

    private static readonly Counter<long> BackendFailures = Meter.CreateCounter<long>("realtime.backend.failures", "{call}", "Backend calls that failed, by stage (llm, tts, transcription).");

    private static readonly Histogram<double> BackendDuration = Meter.CreateHistogram<double>(
        "realtime.backend.duration",
        "s",
        "Duration of a completed backend call (whole stream), by stage.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] });

    private static readonly Histogram<double> BackendQueueWaitSeconds = Meter.CreateHistogram<double>(
        "realtime.backend.queue_wait",
        "s",
        "Time a backend call waited for a concurrency slot (Realtime:Backends:MaxConcurrency) of its stage and address, by stage.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    private static readonly Histogram<double> GatewayOwnTimeSeconds = Meter.CreateHistogram<double>(
        "realtime.gateway.own_time",
        "s",
        "The gateway's own share of the time from a response's start (speech_stopped or response.create) to its first output, backend waits taken out, by stage (first_audio, first_text).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5] });

    /// <summary>A response reached its first output after <paramref name="own"/> of the gateway's own time (see ResponseTimeline).</summary>
    public static void GatewayOwnTime(string stage, TimeSpan own) =>
        GatewayOwnTimeSeconds.Record(own.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>A backend call of <paramref name="stage"/> got its slot after <paramref name="waited"/> (zero when one was free).</summary>
    public static void BackendQueueWait(string stage, TimeSpan waited) =>
        BackendQueueWaitSeconds.Record(waited.TotalSeconds, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>One VAD frame scored (called per frame on the audio path; allocation-free).</summary>
    public static void VadFrame() => Interlocked.Increment(ref _vadFrames);

    /// <summary>A backend call of <paramref name="stage"/> failed.</summary>
    public static void BackendFailed(string stage) => BackendFailures.Add(1, new KeyValuePair<string, object?>("stage", stage));

    /// <summary>A backend call of <paramref name="stage"/> that started at <paramref name="startTimestamp"/> (Stopwatch) completed.</summary>
    public static void BackendCompleted(string stage, long startTimestamp) =>
        BackendDuration.Record(Stopwatch.GetElapsedTime(startTimestamp).TotalSeconds, new KeyValuePair<string, object?>("stage", stage));
}
