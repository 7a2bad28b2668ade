namespace Realtime.Engine.Sessions;

/// <summary>
/// The maximum-duration deadlines of every session on the system clock, behind one timer armed for the earliest. A
/// timer per session cost ~120 bytes that every idle session held for an hour; here a session is a node of a list kept
/// in deadline order (its own three fields), added at open and unlinked at close, both O(1) in the usual case: every
/// session gets the same duration, so a new deadline is the latest and goes at the tail.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "One per process (Shared), for the process's lifetime.")]
internal sealed class SessionExpiryQueue
{
    public static readonly SessionExpiryQueue Shared = new();

    private readonly Lock _gate = new();
    private readonly Timer _timer;

    // Guarded by _gate: the list in deadline order, and the deadline the timer is armed for (long.MaxValue: none).
    private RealtimeSession? _head;
    private RealtimeSession? _tail;
    private long _armedFor = long.MaxValue;

    private SessionExpiryQueue()
    {
        // Holds no session: the queue is static and outlives them; a fired tick only reads the list.
        _timer = new Timer(static state => ((SessionExpiryQueue)state!).OnTick(), this, Timeout.Infinite, Timeout.Infinite);
    }

    /// <summary>Queues <paramref name="session"/> to expire <paramref name="after"/> from now (Environment.TickCount64 clock).</summary>
    public void Add(RealtimeSession session, TimeSpan after)
    {
        long due = Environment.TickCount64 + (long)after.TotalMilliseconds;
        lock (_gate)
        {
            session.ExpiryDue = due;
            RealtimeSession? before = _tail;
            while (before is not null && before.ExpiryDue > due)
            {
                before = before.ExpiryPrevious;
            }

            session.ExpiryPrevious = before;
            session.ExpiryNext = before is null ? _head : before.ExpiryNext;
            if (session.ExpiryNext is { } next)
            {
                next.ExpiryPrevious = session;
            }
            else
            {
                _tail = session;
            }

            if (before is null)
            {
                _head = session;
            }
            else
            {
                before.ExpiryNext = session;
            }

            session.ExpiryQueued = true;
            if (due < _armedFor)
            {
                Arm(due);
            }
        }
    }

    /// <summary>Takes <paramref name="session"/> out (it closed first). The timer stays as it is: a tick that finds nothing due re-arms.</summary>
    public void Remove(RealtimeSession session)
    {
        lock (_gate)
        {
            if (!session.ExpiryQueued)
            {
                return;
            }

            Unlink(session);
        }
    }

    private void OnTick()
    {
        // Expired sessions are told outside the lock, one list at a time: there is rarely more than one.
        while (true)
        {
            RealtimeSession? expired = null;
            lock (_gate)
            {
                _armedFor = long.MaxValue;
                if (_head is { } head && head.ExpiryDue <= Environment.TickCount64)
                {
                    expired = head;
                    Unlink(head);
                }
                else if (_head is { } next)
                {
                    Arm(next.ExpiryDue);
                }
            }

            if (expired is null)
            {
                return;
            }

            expired.OnMaxDurationReached();
        }
    }

    /// <summary>Under _gate.</summary>
    private void Unlink(RealtimeSession session)
    {
        if (session.ExpiryPrevious is { } previous)
        {
            previous.ExpiryNext = session.ExpiryNext;
        }
        else
        {
            _head = session.ExpiryNext;
        }

        if (session.ExpiryNext is { } next)
        {
            next.ExpiryPrevious = session.ExpiryPrevious;
        }
        else
        {
            _tail = session.ExpiryPrevious;
        }

        session.ExpiryPrevious = null;
        session.ExpiryNext = null;
        session.ExpiryQueued = false;
    }

    /// <summary>Under _gate.</summary>
    private void Arm(long due)
    {
        _armedFor = due;
        _timer.Change(Math.Max(0, due - Environment.TickCount64), Timeout.Infinite);
    }
}
