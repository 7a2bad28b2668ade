namespace Realtime.Load;

/// <summary>What one paced speaking run measured against one server.</summary>
public sealed record SpeakingResult(
    string Target,
    int Requested,
    int Held,
    int Passes,
    IReadOnlyList<TurnSample> Turns,
    double BackendTurnMs,
    string Errors,
    int ErrorCount,
    double CpuSecondsPerSessionMinute,
    double SystemCpuShare,
    double RssBytesPerSession,
    double ToolCpuSeconds,
    double WindowSeconds,
    OwnTimeHistogram GatewayOwnTime);
