namespace Realtime.Wire.Connections;

/// <summary>
/// One timer per keep-alive interval for every connection that uses it. A timer and a parked loop per connection cost
/// ~400 bytes each of the thousands of idle sessions a server holds; this costs one set entry per connection. The
/// timer runs only while some connection is registered, and a tick that is still running when the next is due makes
/// that one skip (so a connection's tick never runs twice at once).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "A ticker lives as long as the process; its timer is stopped while no connection is registered.")]
internal sealed class KeepAliveTicker
{
    private static readonly Lock TickersGate = new();
    private static readonly Dictionary<TimeSpan, KeepAliveTicker> Tickers = [];

    private readonly TimeSpan _interval;
    private readonly Lock _gate = new();
    private readonly HashSet<WebSocketConnection> _connections = [];
    private readonly Timer _timer;
    private WebSocketConnection?[] _snapshot = [];
    private int _ticking;

    private KeepAliveTicker(TimeSpan interval)
    {
        _interval = interval;
        // Not flowing the registering connection's context (its log scope) into a timer all connections share.
        using (ExecutionContext.SuppressFlow())
        {
            _timer = new Timer(static state => ((KeepAliveTicker)state!).Tick(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>The ticker of <paramref name="interval"/>, made at first use and kept for the process.</summary>
    public static KeepAliveTicker For(TimeSpan interval)
    {
        lock (TickersGate)
        {
            if (!Tickers.TryGetValue(interval, out KeepAliveTicker? ticker))
            {
                ticker = new KeepAliveTicker(interval);
                Tickers[interval] = ticker;
            }

            return ticker;
        }
    }

    public void Add(WebSocketConnection connection)
    {
        lock (_gate)
        {
            _connections.Add(connection);
            if (_connections.Count == 1)
            {
                _timer.Change(_interval, _interval);
            }
        }
    }

    public void Remove(WebSocketConnection connection)
    {
        lock (_gate)
        {
            if (_connections.Remove(connection) && _connections.Count == 0)
            {
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
            }
        }
    }

    private void Tick()
    {
        if (Interlocked.Exchange(ref _ticking, 1) == 1)
        {
            return;
        }

        try
        {
            int count;
            lock (_gate)
            {
                count = _connections.Count;
                if (_snapshot.Length < count)
                {
                    _snapshot = new WebSocketConnection[Math.Max(count, _snapshot.Length * 2)];
                }

                _connections.CopyTo(_snapshot!);
            }

            long now = Environment.TickCount64;
            for (int i = 0; i < count; i++)
            {
                try
                {
                    _snapshot[i]!.OnKeepAliveTick(now);
                }
                catch (Exception)
                {
                    // A ping is only queued bytes; should one connection throw, the others still get theirs and the
                    // timer thread (shared) must not die with it. That connection's own loops see its state.
                }

                _snapshot[i] = null;
            }
        }
        finally
        {
            Volatile.Write(ref _ticking, 0);
        }
    }
}
