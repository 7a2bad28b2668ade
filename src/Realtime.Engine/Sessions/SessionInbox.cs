using System.Threading.Channels;

namespace Realtime.Engine.Sessions;

/// <summary>What drains a <see cref="SessionInbox"/>: the session, called by one drainer at a time.</summary>
internal interface IInboxConsumer
{
    /// <summary>Handles one message; may leave a <see cref="PendingWait"/> that must end before the next one.</summary>
    void Handle(in SessionMessage message);

    /// <summary>A wait the last message left (a batched VAD inference), or null.</summary>
    ValueTask? PendingWait { get; }

    /// <summary>Finishes the message that left <see cref="PendingWait"/>, once the wait has ended.</summary>
    void CompleteWait(Exception? failure);

    /// <summary>
    /// The inbox has run dry, or the drain stops for a <see cref="PendingWait"/>: send what the burst produced, let go
    /// of buffers only a burst needs.
    /// </summary>
    void OnDrained();

    /// <summary>The inbox was completed and everything in it handled; called once.</summary>
    void OnEnded();

    /// <summary>Handles a response's output while a <see cref="PendingWait"/> is still pending (see <see cref="SessionInbox.TryWriteOutputAndDrain"/>).</summary>
    void HandleDuringWait(in SessionMessage message);
}

/// <summary>
/// A session's inbox and the loop that drains it, without a task parked per session. Any thread may write; the
/// first write into an idle inbox makes that write's caller schedule a drain on the thread pool, or — for the
/// connection's reader, through <see cref="TryWriteAndDrain"/> — run it at once, so a client event is handled on the
/// thread that read it with no hop to another thread (the hop cost more CPU per append than parsing it). One drainer
/// at a time, ordered by a lock, so the consumer needs no locks of its own. An idle session holds no ring (see WriteAndDrain), only
/// this object; no timer, no continuation. A bounded ring, reused, instead of a growing queue of segments: memory
/// per message stays zero.
/// </summary>
internal sealed class SessionInbox : ChannelWriter<SessionMessage>, IThreadPoolWorkItem
{
    // Monitor on this object rather than a Lock of its own: 40 bytes less per session. Nothing else locks an inbox.
    private object Gate => this;
    private readonly IInboxConsumer _consumer;
    // Made at the first wait (only sessions on a batched VAD ever park): an idle session holds no delegate.
    private Action? _resumeAfterWait;

    // Guarded by Gate: whether the consumer's end has run (and how it failed), and the task of whoever asked for
    // Ended before that. Usually the connection asks after the end (the close is drained on its thread), so most
    // sessions never make a task source at all.
    private bool _ended;
    private Exception? _endFailure;
    private TaskCompletionSource? _endedSource;

    // Guarded by Gate.
    // Empty to start: messages handled straight from their caller are never stored (WriteAndDrain), so an idle session
    // holds none (a SessionMessage is 128 bytes); the first message posted from elsewhere (a backend's) makes one slot,
    // bursts (a response's deltas) grow it once.
    private SessionMessage[] _ring = [];
    private int _head;
    private int _count;
    private bool _draining;
    private bool _completed;

    // The context of whoever opened the session (its log scope): every drain runs in it, on whatever thread, as the
    // task per session that this replaces did.
    private ExecutionContext? _context;

    // Owned by the drainer: the wait it stopped at.
    private ValueTask _wait;
    private bool _waiting;

    // Guarded by Gate: the drainer is parked on a wait (no consumer code runs); a message is being handled beside
    // that wait (TryHandleDuringWait); the wait ended meanwhile, so whoever handled that message resumes the drain.
    private bool _parked;
    private bool _besideWait;
    private bool _resumeAfterBeside;

    // The message handled beside a wait, for the call in the session's context; made at the first one (most sessions
    // never need it, and a SessionMessage is 128 bytes).
    private System.Runtime.CompilerServices.StrongBox<SessionMessage>? _besideMessage;

    public SessionInbox(IInboxConsumer consumer)
    {
        _consumer = consumer;
    }

    /// <summary>Makes every drain run in the calling thread's execution context (log scopes); call before the first write.</summary>
    public void CaptureContext() => _context = ExecutionContext.Capture();

    /// <summary>Completes when the inbox has been completed, drained and <see cref="IInboxConsumer.OnEnded"/> has run.</summary>
    public Task Ended
    {
        get
        {
            lock (Gate)
            {
                if (_ended)
                {
                    return _endFailure is null ? Task.CompletedTask : Task.FromException(_endFailure);
                }

                return (_endedSource ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }
        }
    }

    /// <summary>Queues a message; a drain, if none is running, is scheduled on the thread pool. False once completed.</summary>
    public override bool TryWrite(SessionMessage item)
    {
        switch (Admit(item, complete: false, mayTakeDirectly: false))
        {
            case Admission.Refused:
                return false;
            case Admission.QueuedStartDrain:
                ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
                break;
        }

        return true;
    }

    /// <summary>
    /// Queues a message and, if no drain is running, drains on the calling thread before returning (the connection's
    /// reader: it has nothing else to do until the event is handled).
    /// </summary>
    public bool TryWriteAndDrain(in SessionMessage item) => WriteAndDrain(item, complete: false);

    /// <summary>
    /// <see cref="TryWriteAndDrain"/> for a response's output (its audio or text), which may also be handled while the
    /// drain is parked on a batched VAD inference with nothing queued behind it: output does not depend on what that
    /// wait will decide (the append it belongs to is already buffered; its turn events come after).
    /// </summary>
    public bool TryWriteOutputAndDrain(in SessionMessage item) => TryHandleDuringWait(item) || TryWriteAndDrain(item);

    /// <summary>
    /// Queues a last message and completes the inbox; if no drain is running, drains on the calling thread (the
    /// connection's, as it ends: handing the close to a pool thread was one wake-up more per session, and
    /// <see cref="Ended"/> is then already complete when the connection waits for it).
    /// </summary>
    public void WriteLastAndDrain(in SessionMessage item) => WriteAndDrain(item, complete: true);

    private bool WriteAndDrain(in SessionMessage item, bool complete)
    {
        // The usual case: nothing queued, no drain running, and the caller already in the session's context (the
        // connection's reader is; the context was captured on its flow). The message is handled straight from the
        // caller, never stored: an idle session then holds no ring at all (a slot is 128 bytes).
        ExecutionContext? context = _context;
        bool inContext = context is null || ReferenceEquals(ExecutionContext.Capture(), context);
        switch (Admit(item, complete, mayTakeDirectly: inContext))
        {
            case Admission.Refused:
                return false;

            case Admission.TakeDirectly:
                try
                {
                    if (HandleOne(item))
                    {
                        Drain();
                    }
                }
                finally
                {
                    // What the consumer changed in the flow (a scope it left open) stays in the session, not the caller.
                    if (context is not null && !ReferenceEquals(ExecutionContext.Capture(), context))
                    {
                        ExecutionContext.Restore(context);
                    }
                }

                break;

            case Admission.QueuedStartDrain:
                RunDrain();
                break;
        }

        return true;
    }

    public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default)
    {
        lock (Gate)
        {
            return new ValueTask<bool>(!_completed);
        }
    }

    public override bool TryComplete(Exception? error = null)
    {
        lock (Gate)
        {
            if (_completed)
            {
                return false;
            }

            _completed = true;
            if (_draining)
            {
                // The running drain sees it when it runs dry.
                return true;
            }

            _draining = true;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        return true;
    }

    void IThreadPoolWorkItem.Execute() => RunDrain();

    private void RunDrain()
    {
        if (_context is { } context)
        {
            ExecutionContext.Run(context, static state => ((SessionInbox)state!).ResumeAndDrain(), this);
        }
        else
        {
            ResumeAndDrain();
        }
    }

    private void ResumeAndDrain()
    {
        if (_waiting)
        {
            _waiting = false;
            Exception? failure = null;
            try
            {
                _wait.GetAwaiter().GetResult();
            }
            catch (Exception e)
            {
                failure = e;
            }

            _wait = default;
            _consumer.CompleteWait(failure);
        }

        Drain();
    }

    private enum Admission
    {
        /// <summary>The inbox is completed: the message is not taken.</summary>
        Refused,

        /// <summary>Queued behind a running drain.</summary>
        Queued,

        /// <summary>Queued, and the caller starts the drain.</summary>
        QueuedStartDrain,

        /// <summary>Not queued: the caller is the drainer now and handles the message itself.</summary>
        TakeDirectly,
    }

    /// <summary>
    /// Takes a message in, in one locked section: handed back to a caller that may handle it directly when nothing is
    /// queued and no drain runs, otherwise queued in the ring.
    /// </summary>
    private Admission Admit(in SessionMessage item, bool complete, bool mayTakeDirectly)
    {
        lock (Gate)
        {
            if (_completed)
            {
                return Admission.Refused;
            }

            _completed = complete;
            if (mayTakeDirectly && !_draining && _count == 0)
            {
                _draining = true;
                return Admission.TakeDirectly;
            }

            if (_count == _ring.Length)
            {
                Grow();
            }

            _ring[(_head + _count) % _ring.Length] = item;
            _count++;
            if (_draining)
            {
                return Admission.Queued;
            }

            _draining = true;
            return Admission.QueuedStartDrain;
        }
    }

    private bool TryTake(out SessionMessage item)
    {
        lock (Gate)
        {
            if (_count == 0)
            {
                item = default;
                return false;
            }

            item = _ring[_head];
            _ring[_head] = default;
            _head = (_head + 1) % _ring.Length;
            _count--;
            return true;
        }
    }

    private void Grow()
    {
        var larger = new SessionMessage[Math.Max(1, _ring.Length * 2)];
        for (int i = 0; i < _count; i++)
        {
            larger[i] = _ring[(_head + i) % _ring.Length];
        }

        _ring = larger;
        _head = 0;
    }

    private void Drain()
    {
        while (true)
        {
            while (TryTake(out SessionMessage message))
            {
                if (!HandleOne(message))
                {
                    return;
                }
            }

            _consumer.OnDrained();
            lock (Gate)
            {
                if (_count > 0)
                {
                    continue;
                }

                if (!_completed)
                {
                    _draining = false;
                    return;
                }
            }

            // Completed and empty: nothing can be queued any more.
            Exception? endFailure = null;
            try
            {
                _consumer.OnEnded();
            }
            catch (Exception e)
            {
                endFailure = e;
            }

            TaskCompletionSource? waiting;
            lock (Gate)
            {
                _ended = true;
                _endFailure = endFailure;
                waiting = _endedSource;
            }

            if (endFailure is null)
            {
                waiting?.TrySetResult();
            }
            else
            {
                waiting?.TrySetException(endFailure);
            }

            return;
        }
    }

    /// <summary>Handles one message as the drainer; false when the drain parked on the wait it left.</summary>
    private bool HandleOne(in SessionMessage message)
    {
        _consumer.Handle(message);
        if (_consumer.PendingWait is not { } pending)
        {
            return true;
        }

        if (!pending.IsCompleted)
        {
            // Still the drainer: the wait's end resumes the drain on the thread pool, not on the thread that
            // ends it (a batch inference completes many sessions' waits at once; running them all there would
            // serialize them behind each other).
            _consumer.OnDrained();
            _wait = pending;
            _waiting = true;
            lock (Gate)
            {
                _parked = true;
            }

            pending.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_resumeAfterWait ??= ResumeAfterWait);
            return false;
        }

        Exception? failure = null;
        try
        {
            pending.GetAwaiter().GetResult();
        }
        catch (Exception e)
        {
            failure = e;
        }

        _consumer.CompleteWait(failure);
        return true;
    }

    private void ResumeAfterWait()
    {
        lock (Gate)
        {
            if (_besideWait)
            {
                // A message is being handled beside the wait: that thread resumes the drain when it is done.
                _resumeAfterBeside = true;
                return;
            }

            _parked = false;
        }

        ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>
    /// Output that reaches a session whose drain is parked on a batched VAD inference, with nothing queued behind it,
    /// is handled at once on the posting thread instead of after the inference and a hop to the thread pool (the
    /// tail of the gateway's own time to first audio with many speakers). Still one consumer call at a time: the
    /// parked drainer runs no consumer code, and a wait that ends meanwhile is resumed by this thread afterwards.
    /// </summary>
    private bool TryHandleDuringWait(in SessionMessage item)
    {
        lock (Gate)
        {
            if (!_parked || _besideWait || _count > 0 || _completed)
            {
                return false;
            }

            _besideWait = true;
            (_besideMessage ??= new System.Runtime.CompilerServices.StrongBox<SessionMessage>()).Value = item;
        }

        if (_context is { } context)
        {
            ExecutionContext.Run(context, static state => ((SessionInbox)state!).HandleBesideWait(), this);
        }
        else
        {
            HandleBesideWait();
        }

        bool resume;
        lock (Gate)
        {
            _besideWait = false;
            resume = _resumeAfterBeside;
            _resumeAfterBeside = false;
            if (resume)
            {
                _parked = false;
            }
        }

        if (resume)
        {
            RunDrain();
        }

        return true;
    }

    private void HandleBesideWait()
    {
        SessionMessage message = _besideMessage!.Value;
        _besideMessage.Value = default;
        _consumer.HandleDuringWait(message);
        _consumer.OnDrained();
    }
}
