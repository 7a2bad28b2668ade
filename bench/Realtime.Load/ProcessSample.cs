namespace Realtime.Load;

/// <summary>The server process at one moment: CPU seconds used so far, resident set, and when (Stopwatch timestamp).</summary>
public readonly record struct ProcessSample(double CpuSeconds, long RssBytes, long Timestamp);
