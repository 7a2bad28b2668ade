using System.Diagnostics;

namespace Realtime.Load;

/// <summary>Handling time (Stopwatch ticks) and call counts of the instant backend, per stage.</summary>
public readonly record struct BackendTimes(long SttTicks, long SttCalls, long LlmTicks, long LlmCalls, long TtsTicks, long TtsCalls)
{
    public static BackendTimes operator -(BackendTimes a, BackendTimes b) => new(
        a.SttTicks - b.SttTicks, a.SttCalls - b.SttCalls, a.LlmTicks - b.LlmTicks, a.LlmCalls - b.LlmCalls, a.TtsTicks - b.TtsTicks, a.TtsCalls - b.TtsCalls);

    /// <summary>Mean backend time one turn spends (one call of each stage), in milliseconds.</summary>
    public double MeanTurnMs =>
        (Mean(SttTicks, SttCalls) + Mean(LlmTicks, LlmCalls) + Mean(TtsTicks, TtsCalls)) * 1000.0 / Stopwatch.Frequency;

    private static double Mean(long ticks, long calls) => calls == 0 ? 0 : (double)ticks / calls;
}
