using System.Collections.Concurrent;

namespace Realtime.Load;

/// <summary>Errors of a run, counted by type (`connect:SocketException`, `error:invalid_value`, `no_audio_delta`, ...).</summary>
public sealed class ErrorCounts
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public void Add(string type) => _counts.AddOrUpdate(type, 1, (_, n) => n + 1);

    public int Total => _counts.Values.Sum();

    public override string ToString() => _counts.IsEmpty
        ? "none"
        : string.Join(", ", _counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"));
}
