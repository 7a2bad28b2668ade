using System.Diagnostics;

namespace Realtime.Host.Operations;

/// <summary>
/// A token bucket of <c>perSecond</c> events, refilled continuously: a burst of up to one second's worth passes,
/// a sustained rate above the limit does not. Used by one session's read loop only (not thread-safe).
/// </summary>
internal sealed class EventRateLimiter(int perSecond)
{
    private double _tokens = perSecond;
    private long _last = Stopwatch.GetTimestamp();

    /// <summary>Events dropped in a row since the last one that passed.</summary>
    public int ConsecutiveDrops { get; private set; }

    public bool TryTake()
    {
        long now = Stopwatch.GetTimestamp();
        _tokens = Math.Min(perSecond, _tokens + (Stopwatch.GetElapsedTime(_last, now).TotalSeconds * perSecond));
        _last = now;
        if (_tokens >= 1)
        {
            _tokens -= 1;
            ConsecutiveDrops = 0;
            return true;
        }

        ConsecutiveDrops++;
        return false;
    }
}
