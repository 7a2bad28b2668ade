using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Connections;

/// <summary>
/// One server-side WebSocket over a transport pipe (after the 101 response). A single read loop parses
/// frames and calls the session; a single writer loop drains everything queued by any thread and flushes
/// once per drain. Output is assembled in pooled buffers that are returned when drained, and the frame
/// reader returns its message buffer after every message, so an idle connection holds no buffers
/// (the transport's zero-byte reads keep the pipe empty too).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "RunAsync owns the lifetime and disposes both when the connection ends.")]
public sealed class WebSocketConnection : IMessageOutput
{
    private readonly PipeReader _input;
    private readonly PipeWriter _output;
    private readonly WebSocketConnectionOptions _options;
    private readonly FrameReader _frames;
    private readonly Lock _gate = new();

    // Guarded by _gate: the write loop and its wake-up signal, made by the first Wake. Bursts, pings, pongs and the
    // close are written inline by Flush, so the loop exists only once a write found the transport busy (a peer that
    // reads slower than we write): an idle connection parks no loop, and a short one ends with an inline last drain.
    private WakeSignal? _wake;
    private Task? _writer;

    // Guarded by _gate: made by the first Close, to stop waiting for the peer's close frame after the close timeout
    // (cancels the pending read). Only a closing connection has one: a source and its registration were ~190 bytes
    // held by every idle session.
    private Timer? _closeTimer;

    // Guarded by _gate: producers write frames into _queued; the writer swaps it with _draining.
    private PooledBufferWriter _queued = new();
    private PooledBufferWriter _draining = new();
    private bool _closeQueued;
    private bool _writerStopping;
    private bool _wakePending;

    // Guarded by _gate: bytes written to the transport before this connection began (the 101 response) wait for its
    // first write, so the upgrade answer and the first event leave in one send.
    private bool _preludeUnflushed;

    // Guarded by _gate: the write loop or an inline Flush holds the transport's writer (and _draining).
    private bool _writing;

    private long _pendingBytes;

    // Guarded by _gate: the most ever queued at once and the largest single message, so the backlog bound (limit plus
    // the message that crossed it) can be checked on the server side, whatever the kernel's socket buffers hold.
    private long _peakPendingBytes;
    private int _largestMessageBytes;
    private ushort _sentCloseStatus;
    private string? _sentCloseReason;
    private volatile bool _transportBroken;
    private uint _pingCounter;
    private long _heardAt;

    // Owned by the keep-alive ticks: when keep-alive started for this connection, and the first unanswered ping.
    private long _keepAliveSince;
    private long _unansweredSince;
    private long _flushes;

    // Guarded by _gate: the payload of the latest unanswered client ping (RFC 6455 §5.5.3 lets a flood of pings be
    // answered by one pong to the most recent), written by the writer loop, so pongs never pile up.
    // Made at the first client ping: most clients never ping, and an idle connection should hold no buffer.
    private byte[]? _pongPayload;
    private int _pongLength = -1;

    /// <summary>Creates a connection over the raw transport of an upgraded request.</summary>
    public WebSocketConnection(PipeReader input, PipeWriter output, WebSocketConnectionOptions options)
    {
        _input = input;
        _output = output;
        _options = options;
        _frames = new FrameReader(options.MaxMessageBytes, maxHeldFrameBytes: options.MaxHeldFrameBytes);
    }

    /// <inheritdoc />
    public long PendingBytes => Interlocked.Read(ref _pendingBytes);

    /// <summary>The most output ever queued and not yet written to the transport (frames, pongs and the close included).</summary>
    public long PeakPendingBytes
    {
        get
        {
            lock (_gate)
            {
                return _peakPendingBytes;
            }
        }
    }

    /// <summary>The largest single message queued, framed (what may cross <see cref="WebSocketConnectionOptions.MaxPendingOutputBytes"/>).</summary>
    public int LargestMessageBytes
    {
        get
        {
            lock (_gate)
            {
                return _largestMessageBytes;
            }
        }
    }

    /// <summary>How the connection ended (valid after <see cref="RunAsync"/> completes).</summary>
    public CloseReason Outcome { get; private set; }

    /// <summary>
    /// True once the transport was given up: a write failed, or the peer took nothing for a whole close timeout. What
    /// is still queued below the pipe will never be taken, so the owner aborts the transport instead of letting it
    /// wait on a send that never completes (the socket, and the connection, would stay open).
    /// </summary>
    public bool TransportAbandoned => _transportBroken;

    /// <inheritdoc />
    public bool SendText(ReadOnlySpan<byte> utf8Payload)
    {
        if (!QueueText(utf8Payload))
        {
            return false;
        }

        Wake();
        return true;
    }

    /// <inheritdoc />
    public bool QueueText(ReadOnlySpan<byte> utf8Payload)
    {
        bool overflow;
        lock (_gate)
        {
            if (_closeQueued)
            {
                return false;
            }

            overflow = _pendingBytes > _options.MaxPendingOutputBytes;
            if (!overflow)
            {
                int before = _queued.WrittenCount;
                FrameWriter.WriteMessage(_queued, FrameOpcode.Text, utf8Payload, _options.OutgoingFragmentBytes);
                int framed = _queued.WrittenCount - before;
                _largestMessageBytes = Math.Max(_largestMessageBytes, framed);
                AddPendingLocked(framed);
            }
        }

        if (overflow)
        {
            // The client does not read what it asked for; holding more would let one client exhaust memory.
            Close(CloseStatus.PolicyViolation, "output backlog too large");
            return false;
        }

        return true;
    }

    /// <summary>
    /// The transport's writer already holds bytes that were written but not flushed (the 101 response): they go out
    /// with this connection's first write. <see cref="RunAsync"/> flushes once the session has opened, so they are
    /// never held longer than the session's first events take.
    /// </summary>
    public void HoldUnflushedPrelude()
    {
        lock (_gate)
        {
            _preludeUnflushed = true;
        }
    }

    /// <inheritdoc />
    public void Flush()
    {
        bool busy;
        lock (_gate)
        {
            busy = _writing || _writerStopping || _transportBroken;
            if (!busy)
            {
                if (_queued.WrittenCount == 0 && _pongLength < 0 && !_preludeUnflushed)
                {
                    return;
                }

                // Written here and now: no wake-up of the write loop, no hop to another thread per burst. (This write
                // always flushes, so a held prelude goes out with it whatever TakeQueuedLocked says.)
                _ = TakeQueuedLocked();
            }
        }

        if (busy)
        {
            Wake();
            return;
        }

        int length = _draining.WrittenCount;
        ValueTask<FlushResult> flush;
        try
        {
            _output.Write(_draining.WrittenSpan);
            flush = _output.FlushAsync();
        }
        catch (Exception)
        {
            BreakTransport();
            EndWrite(length);
            return;
        }

        if (!flush.IsCompleted)
        {
            // The peer reads slower than we write: the rest happens when the transport has room.
            _ = FinishFlushAsync(flush, length);
            return;
        }

        try
        {
            OnFlushed(flush.GetAwaiter().GetResult());
        }
        catch (Exception)
        {
            BreakTransport();
        }

        EndWrite(length);
    }

    /// <inheritdoc />
    public void Close(ushort closeStatus, string reason) => Close(closeStatus, reason, awaitPeerClose: true);

    /// <param name="awaitPeerClose">
    /// False for the echo of the peer's close: nothing more is read, so there is no wait to bound with a timer, and the
    /// read loop is about to end: <see cref="RunAsync"/> then writes the echo on its own thread, no wake-up needed.
    /// </param>
    private void Close(ushort closeStatus, string reason, bool awaitPeerClose)
    {
        lock (_gate)
        {
            if (_closeQueued)
            {
                return;
            }

            _closeQueued = true;
            _sentCloseStatus = closeStatus;
            _sentCloseReason = reason;
            // Nothing may follow the close frame: an answer still pending goes before it.
            WritePendingPongLocked(_queued);
            int before = _queued.WrittenCount;
            Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(reason.Length, 123))];
            int length = Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, 123)), utf8);
            FrameWriter.WriteClose(_queued, closeStatus, utf8[..length]);
            AddPendingLocked(_queued.WrittenCount - before);
            if (awaitPeerClose && !_writerStopping)
            {
                // Wait for the peer's close frame only so long; then the read loop gives up. (Once RunAsync is ending,
                // nothing reads any more and no timer is made that no one would dispose.)
                _closeTimer = new Timer(static state => ((PipeReader)state!).CancelPendingRead(), _input, _options.CloseTimeout, Timeout.InfiniteTimeSpan);
            }
        }

        if (awaitPeerClose)
        {
            Flush();
        }
    }

    /// <summary>
    /// Runs the connection until it closes: calls <see cref="IWebSocketSession.OnOpen"/>, delivers messages,
    /// answers pings, sends keepalives, completes the closing handshake, then disposes the session.
    /// </summary>
    public async Task RunAsync(IWebSocketSession session, CancellationToken cancellationToken = default)
    {
        // One shared timer per interval pings every connection (KeepAliveTicker), not a timer and a loop each.
        KeepAliveTicker? keepAlive = _options.KeepAliveInterval > TimeSpan.Zero ? KeepAliveTicker.For(_options.KeepAliveInterval) : null;
        _keepAliveSince = Environment.TickCount64;
        keepAlive?.Add(this);
        using CancellationTokenRegistration onAbort = cancellationToken.Register(static state => ((WebSocketConnection)state!).Close(CloseStatus.GoingAway, "server shutting down"), this);
        bool ended = false;
        try
        {
            session.OnOpen();
            // Whatever OnOpen sent went out with the 101 response; a session that sent nothing still answers the upgrade.
            Flush();
            // The read loop is inline rather than a method of its own: one async frame less parked per connection.
            var handler = new Handler(this, session);
            CloseReason outcome;
            while (true)
            {
                ReadResult result;
                try
                {
                    // Not the caller's token: an abort closes the connection (onAbort), and the read goes on to the peer's close.
                    result = await _input.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (Exception)
                {
                    outcome = new CloseReason(0, "connection lost", InitiatedByPeer: true);
                    break;
                }

                if (OnRead(result, ref handler) is { } end)
                {
                    outcome = end;
                    break;
                }
            }

            Outcome = outcome;
            ended = true;
            session.OnClosed(Outcome);
        }
        finally
        {
            if (!ended)
            {
                // The session threw: tell the client instead of dropping it silently; the caller logs the exception.
                Close(CloseStatus.InternalError, "internal error");
                Outcome = new CloseReason(CloseStatus.InternalError, "internal error", InitiatedByPeer: false);
            }

            Task? writer;
            WakeSignal? wake = null;
            bool prelude = false;
            lock (_gate)
            {
                _writerStopping = true;
                // Nothing may be queued after the writer's last drain: a session still sending (a client that vanished
                // mid-response) would otherwise rent a queue buffer that no one returns.
                _closeQueued = true;
                writer = _writer;
                if (writer is null && !_writing)
                {
                    // No loop and no write in flight: the last drain is written from here.
                    prelude = TakeQueuedLocked();
                }
                else if (!_wakePending)
                {
                    _wakePending = true;
                    wake = EnsureWriterLocked();
                    writer = _writer;
                }
            }

            // On this thread: it has nothing to do but wait for the writer's last drain (a pool hand-off here was
            // one thread wake-up more per session).
            wake?.Set(inline: true);
            writer ??= WriteTakenAsync(prelude, stopping: true).AsTask();
            await AbandonStalledWriterAsync(writer).ConfigureAwait(false);
            await writer.ConfigureAwait(false);
            Timer? closeTimer;
            lock (_gate)
            {
                // _writerStopping is set: no Close makes another.
                closeTimer = _closeTimer;
                _closeTimer = null;
            }

            closeTimer?.Dispose();

            keepAlive?.Remove(this);
            _frames.Dispose();
            await _input.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync().ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Waits for the writer to send what is left. A peer that reads nothing (half-open TCP, or a window kept shut)
    /// would hold the last flush, the connection and its queued output forever: when a whole close timeout passes
    /// without one flush completing, the transport is given up, as for a close the peer never answers.
    /// </summary>
    private async Task AbandonStalledWriterAsync(Task writer)
    {
        while (!writer.IsCompleted)
        {
            long flushes = Volatile.Read(ref _flushes);
            // WaitAsync drops its timer as soon as the writer ends. (A Task.Delay raced with WhenAny stayed in the
            // timer queue for the whole close timeout after every connection, and fired later: ~15,000 timers pending
            // in the handshake workload, then a burst of timer work items seconds after the sessions had gone.)
            await writer.WaitAsync(_options.CloseTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (writer.IsCompleted)
            {
                return;
            }

            if (Volatile.Read(ref _flushes) == flushes)
            {
                _transportBroken = true;
                _output.CancelPendingFlush();
                return;
            }
        }
    }

    /// <summary>Parses and delivers what one read brought; returns how the connection ended, or null to read on.</summary>
    private CloseReason? OnRead(ReadResult result, ref Handler handler)
    {
        // Anything from the peer shows it is alive (the keepalive loop reads this).
        Volatile.Write(ref _heardAt, Environment.TickCount64);
        if (result.IsCanceled)
        {
            // Close timeout or transport failure: the peer never answered our close frame.
            return LocalClose();
        }

        ReadOnlySequence<byte> buffer = result.Buffer;
        FrameReadStatus status;
        SequencePosition consumed = buffer.Start, examined = buffer.End;
        try
        {
            status = _frames.Read(buffer, ref handler, out consumed, out examined);
        }
        finally
        {
            // Exactly one AdvanceTo per read, even when the session throws.
            _input.AdvanceTo(consumed, examined);
        }

        switch (status)
        {
            case FrameReadStatus.CloseReceived:
                bool peerStarted = !IsCloseQueued();
                if (peerStarted)
                {
                    ushort echo = _frames.ReceivedCloseStatus;
                    EchoClose(echo);
                    return new CloseReason(echo, _frames.ReceivedCloseReason, InitiatedByPeer: true);
                }

                return LocalClose();

            case FrameReadStatus.Violation:
                // RFC 6455 §7.1.7: fail the connection: send close with the reason, then drop the TCP connection.
                Close(_frames.ViolationStatus, _frames.ViolationReason!);
                return new CloseReason(_frames.ViolationStatus, _frames.ViolationReason, InitiatedByPeer: false);
        }

        if (result.IsCompleted || _transportBroken)
        {
            return new CloseReason(0, "connection lost", InitiatedByPeer: true);
        }

        return null;
    }

    private CloseReason LocalClose()
    {
        lock (_gate)
        {
            return new CloseReason(_sentCloseStatus, _sentCloseReason, InitiatedByPeer: false);
        }
    }

    private bool IsCloseQueued()
    {
        lock (_gate)
        {
            return _closeQueued;
        }
    }

    private void EchoClose(ushort status)
    {
        if (status == CloseStatus.NoStatus)
        {
            // The peer sent no code; answer with an empty close frame (1005 must not go on the wire).
            lock (_gate)
            {
                if (_closeQueued)
                {
                    return;
                }

                _closeQueued = true;
                _sentCloseStatus = status;
                WritePendingPongLocked(_queued);
                Span<byte> header = _queued.GetSpan(2);
                _queued.Advance(FrameWriter.WriteHeader(header, FrameOpcode.Close, fin: true, 0));
                AddPendingLocked(2);
            }

            // No wake-up: the read loop ends now and RunAsync writes the echo (see Close).
            return;
        }

        Close(status, string.Empty, awaitPeerClose: false);
    }

    private void SendControl(FrameOpcode opcode, ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (_closeQueued)
            {
                return;
            }

            Span<byte> span = _queued.GetSpan(2 + payload.Length);
            int header = FrameWriter.WriteHeader(span, opcode, fin: true, payload.Length);
            payload.CopyTo(span[header..]);
            _queued.Advance(header + payload.Length);
            AddPendingLocked(header + payload.Length);
        }

        Flush();
    }

    /// <summary>Counts bytes just queued; called under _gate (the writer loop only subtracts, outside it).</summary>
    private void AddPendingLocked(int bytes) =>
        _peakPendingBytes = Math.Max(_peakPendingBytes, Interlocked.Add(ref _pendingBytes, bytes));

    /// <summary>Writes the pending pong, if any, into <paramref name="target"/>; called under _gate.</summary>
    private void WritePendingPongLocked(PooledBufferWriter target)
    {
        if (_pongLength < 0)
        {
            return;
        }

        Span<byte> span = target.GetSpan(2 + _pongLength);
        int header = FrameWriter.WriteHeader(span, FrameOpcode.Pong, fin: true, _pongLength);
        _pongPayload!.AsSpan(0, _pongLength).CopyTo(span[header..]);
        target.Advance(header + _pongLength);
        AddPendingLocked(header + _pongLength);
        _pongLength = -1;
    }

    /// <summary>Answers a ping; an answer not yet written is replaced by this one (at most one pong is ever queued).</summary>
    private void QueuePong(ReadOnlySpan<byte> payload)
    {
        lock (_gate)
        {
            if (_closeQueued)
            {
                return;
            }

            _pongPayload ??= new byte[125];
            payload.CopyTo(_pongPayload);
            _pongLength = payload.Length;
        }

        Flush();
    }

    private void Wake()
    {
        WakeSignal wake;
        lock (_gate)
        {
            if (_wakePending || (_writerStopping && _writer is null))
            {
                // Already asked; or the connection's end wrote the last drain itself, and nothing is queued after it.
                return;
            }

            _wakePending = true;
            wake = EnsureWriterLocked();
        }

        wake.Set();
    }

    /// <summary>The write loop's signal, after starting the loop if this is the first time it is needed; under _gate.</summary>
    private WakeSignal EnsureWriterLocked()
    {
        if (_wake is null)
        {
            // The loop parks at once: its signal is set only after this, outside the lock.
            _wake = new WakeSignal();
            _writer = WriteLoopAsync(_wake);
        }

        return _wake;
    }

    private async Task FinishFlushAsync(ValueTask<FlushResult> flush, int length)
    {
        try
        {
            OnFlushed(await flush.ConfigureAwait(false));
        }
        catch (Exception)
        {
            BreakTransport();
        }

        EndWrite(length);
    }

    /// <summary>Counts a completed flush (the stall watchdog reads the count); a completed transport is broken.</summary>
    private void OnFlushed(FlushResult flush)
    {
        Interlocked.Increment(ref _flushes);
        if (flush.IsCompleted)
        {
            BreakTransport();
        }
    }

    /// <summary>Ends an inline write: the buffer is free again, and anything that asked for the writer meanwhile gets it.</summary>
    private void EndWrite(int length)
    {
        _draining.Reset();
        Interlocked.Add(ref _pendingBytes, -length);
        WakeSignal? wanted;
        lock (_gate)
        {
            _writing = false;
            // A pending wake-up means the loop exists (Wake made it).
            wanted = _wakePending ? _wake : null;
        }

        // Wake() would see the pending flag and do nothing: the write loop stood aside for this write.
        wanted?.Set();
    }

    /// <summary>
    /// Takes the transport's writer and everything queued (called under _gate by the write loop or an inline Flush):
    /// the queue becomes _draining, with the pending pong after whole frames (control frames may go between any two;
    /// a close frame already took it along).
    /// </summary>
    /// <returns>Whether the transport holds an unflushed prelude, to be flushed even if nothing else is queued.</returns>
    private bool TakeQueuedLocked()
    {
        _writing = true;
        bool prelude = _preludeUnflushed;
        _preludeUnflushed = false;
        (_queued, _draining) = (_draining, _queued);
        _wakePending = false;
        WritePendingPongLocked(_draining);
        return prelude;
    }

    private async Task WriteLoopAsync(WakeSignal wake)
    {
        while (true)
        {
            await wake.WaitAsync().ConfigureAwait(false);
            bool stopping;
            bool prelude;
            lock (_gate)
            {
                if (_writing)
                {
                    // An inline Flush holds the transport; it wakes this loop again when it is done.
                    continue;
                }

                prelude = TakeQueuedLocked();
                stopping = _writerStopping;
            }

            await WriteTakenAsync(prelude, stopping).ConfigureAwait(false);
            if (stopping)
            {
                return;
            }
        }
    }

    /// <summary>Writes and flushes what <see cref="TakeQueuedLocked"/> took, then gives the transport back.</summary>
    /// <param name="stopping">The last drain: anything queued after it (a last send racing the close) is dropped.</param>
    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(System.Runtime.CompilerServices.PoolingAsyncValueTaskMethodBuilder))]
    private async ValueTask WriteTakenAsync(bool prelude, bool stopping)
    {
        int length = _draining.WrittenCount;
        if ((length > 0 || prelude) && !_transportBroken)
        {
            try
            {
                _output.Write(_draining.WrittenSpan);
                OnFlushed(await _output.FlushAsync().ConfigureAwait(false));
            }
            catch (Exception)
            {
                BreakTransport();
            }
        }

        _draining.Reset();
        Interlocked.Add(ref _pendingBytes, -length);
        lock (_gate)
        {
            _writing = false;
            if (stopping)
            {
                _queued.Reset();
            }
        }
    }

    private void BreakTransport()
    {
        _transportBroken = true;
        _input.CancelPendingRead();
    }

    /// <summary>
    /// A tick of the shared keep-alive timer (never two at once for a connection): pings, and gives up on a peer that
    /// has answered nothing for <see cref="WebSocketConnectionOptions.KeepAliveTimeout"/> since the first unanswered ping.
    /// </summary>
    internal void OnKeepAliveTick(long now)
    {
        // Ticks are shared, so a new connection's first one can come at once: its first ping waits half an interval.
        if (now - _keepAliveSince < (long)(_options.KeepAliveInterval.TotalMilliseconds / 2))
        {
            return;
        }

        long timeoutMs = (long)_options.KeepAliveTimeout.TotalMilliseconds;
        if (_unansweredSince != 0 && Volatile.Read(ref _heardAt) >= _unansweredSince)
        {
            _unansweredSince = 0;
        }

        if (_unansweredSince != 0 && timeoutMs > 0 && now - _unansweredSince >= timeoutMs)
        {
            // Half-open TCP (the peer vanished without a FIN) or a peer that stopped answering: without this
            // the connection and its session would live until the OS gives up on the socket, if ever.
            Close(CloseStatus.InternalError, "keepalive ping timeout");
            return;
        }

        SendPing();
        if (_unansweredSince == 0)
        {
            _unansweredSince = now;
        }
    }

    private void SendPing()
    {
        // Like the hosted service: a ping with a 4-byte payload; clients answer automatically.
        Span<byte> payload = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(payload, ++_pingCounter);
        SendControl(FrameOpcode.Ping, payload);
    }

    private readonly struct Handler(WebSocketConnection connection, IWebSocketSession session) : IFrameHandler
    {
        public void OnMessage(FrameOpcode opcode, in ReadOnlySequence<byte> payload)
        {
            if (connection.IsCloseQueued())
            {
                // After our close frame, data is read only to find the peer's close (RFC 6455 §1.4).
                return;
            }

            if (opcode == FrameOpcode.Text)
            {
                session.OnText(payload);
            }
            else
            {
                session.OnBinary(payload);
            }
        }

        public void OnPing(ReadOnlySpan<byte> payload) => connection.QueuePong(payload);

        public void OnPong(ReadOnlySpan<byte> payload)
        {
        }
    }
}
