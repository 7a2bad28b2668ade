namespace Realtime.Load;

/// <summary>The server process at one moment: CPU seconds used so far (user + system, and system alone), resident set, and when (Stopwatch timestamp).</summary>
public readonly record struct ProcessSample(double CpuSeconds, double SystemCpuSeconds, long RssBytes, long Timestamp);
