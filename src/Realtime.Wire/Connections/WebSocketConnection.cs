using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;
using System.Threading.Channels;
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
    private readonly Channel<bool> _wake = Channel.CreateUnbounded<bool>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _closeTimeout = new();

    // Guarded by _gate: producers write frames into _queued; the writer swaps it with _draining.
    private PooledBufferWriter _queued = new();
    private PooledBufferWriter _draining = new();
    private bool _closeQueued;
    private bool _writerStopping;
    private bool _wakePending;

    private long _pendingBytes;
    private ushort _sentCloseStatus;
    private string? _sentCloseReason;
    private volatile bool _transportBroken;
    private uint _pingCounter;

    /// <summary>Creates a connection over the raw transport of an upgraded request.</summary>
    public WebSocketConnection(PipeReader input, PipeWriter output, WebSocketConnectionOptions options)
    {
        _input = input;
        _output = output;
        _options = options;
        _frames = new FrameReader(options.MaxMessageBytes);
    }

    /// <inheritdoc />
    public long PendingBytes => Interlocked.Read(ref _pendingBytes);

    /// <summary>How the connection ended (valid after <see cref="RunAsync"/> completes).</summary>
    public CloseReason Outcome { get; private set; }

    /// <inheritdoc />
    public bool SendText(ReadOnlySpan<byte> utf8Payload)
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
                Interlocked.Add(ref _pendingBytes, _queued.WrittenCount - before);
            }
        }

        if (overflow)
        {
            // The client does not read what it asked for; holding more would let one client exhaust memory.
            Close(CloseStatus.PolicyViolation, "output backlog too large");
            return false;
        }

        Wake();
        return true;
    }

    /// <inheritdoc />
    public void Close(ushort closeStatus, string reason)
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
            int before = _queued.WrittenCount;
            Span<byte> utf8 = stackalloc byte[Encoding.UTF8.GetMaxByteCount(Math.Min(reason.Length, 123))];
            int length = Encoding.UTF8.GetBytes(reason.AsSpan(0, Math.Min(reason.Length, 123)), utf8);
            FrameWriter.WriteClose(_queued, closeStatus, utf8[..length]);
            Interlocked.Add(ref _pendingBytes, _queued.WrittenCount - before);
        }

        // Wait for the peer's close frame only so long; then the read loop gives up.
        _closeTimeout.CancelAfter(_options.CloseTimeout);
        Wake();
    }

    /// <summary>
    /// Runs the connection until it closes: calls <see cref="IWebSocketSession.OnOpen"/>, delivers messages,
    /// answers pings, sends keepalives, completes the closing handshake, then disposes the session.
    /// </summary>
    public async Task RunAsync(IWebSocketSession session, CancellationToken cancellationToken = default)
    {
        Task writer = WriteLoopAsync();
        Task keepAlive = _options.KeepAliveInterval > TimeSpan.Zero ? KeepAliveLoopAsync() : Task.CompletedTask;
        using CancellationTokenRegistration onTimeout = _closeTimeout.Token.Register(static state => ((PipeReader)state!).CancelPendingRead(), _input);
        using CancellationTokenRegistration onAbort = cancellationToken.Register(static state => ((WebSocketConnection)state!).Close(CloseStatus.GoingAway, "server shutting down"), this);
        bool ended = false;
        try
        {
            session.OnOpen();
            Outcome = await ReadLoopAsync(session).ConfigureAwait(false);
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

            lock (_gate)
            {
                _writerStopping = true;
                // Nothing may be queued after the writer's last drain: a session still sending (a client that vanished
                // mid-response) would otherwise rent a queue buffer that no one returns.
                _closeQueued = true;
            }

            Wake();
            await writer.ConfigureAwait(false);
            await _closeTimeout.CancelAsync().ConfigureAwait(false);
            await keepAlive.ConfigureAwait(false);
            _frames.Dispose();
            await _input.CompleteAsync().ConfigureAwait(false);
            await _output.CompleteAsync().ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            _closeTimeout.Dispose();
        }
    }

    private async Task<CloseReason> ReadLoopAsync(IWebSocketSession session)
    {
        var handler = new Handler(this, session);
        while (true)
        {
            ReadResult result;
            try
            {
                result = await _input.ReadAsync().ConfigureAwait(false);
            }
            catch (Exception)
            {
                return new CloseReason(0, "connection lost", InitiatedByPeer: true);
            }

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
        }
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
                Span<byte> header = _queued.GetSpan(2);
                _queued.Advance(FrameWriter.WriteHeader(header, FrameOpcode.Close, fin: true, 0));
                Interlocked.Add(ref _pendingBytes, 2);
            }

            Wake();
            return;
        }

        Close(status, string.Empty);
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
            Interlocked.Add(ref _pendingBytes, header + payload.Length);
        }

        Wake();
    }

    private void Wake()
    {
        lock (_gate)
        {
            if (_wakePending)
            {
                return;
            }

            _wakePending = true;
        }

        _wake.Writer.TryWrite(true);
    }

    private async Task WriteLoopAsync()
    {
        ChannelReader<bool> wake = _wake.Reader;
        while (await wake.WaitToReadAsync().ConfigureAwait(false))
        {
            while (wake.TryRead(out _))
            {
            }

            bool stopping;
            lock (_gate)
            {
                (_queued, _draining) = (_draining, _queued);
                _wakePending = false;
                stopping = _writerStopping;
            }

            int length = _draining.WrittenCount;
            if (length > 0 && !_transportBroken)
            {
                try
                {
                    _output.Write(_draining.WrittenSpan);
                    FlushResult flush = await _output.FlushAsync().ConfigureAwait(false);
                    if (flush.IsCompleted)
                    {
                        BreakTransport();
                    }
                }
                catch (Exception)
                {
                    BreakTransport();
                }
            }

            _draining.Reset();
            Interlocked.Add(ref _pendingBytes, -length);
            if (stopping)
            {
                lock (_gate)
                {
                    // Anything queued after the stop request (e.g. a last send racing the close) is dropped.
                    _queued.Reset();
                }

                return;
            }
        }
    }

    private void BreakTransport()
    {
        _transportBroken = true;
        _input.CancelPendingRead();
    }

    private async Task KeepAliveLoopAsync()
    {
        using var timer = new PeriodicTimer(_options.KeepAliveInterval);
        try
        {
            while (await timer.WaitForNextTickAsync(_closeTimeout.Token).ConfigureAwait(false))
            {
                SendPing();
            }
        }
        catch (OperationCanceledException)
        {
            // The connection is closing.
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

        public void OnPing(ReadOnlySpan<byte> payload) => connection.SendControl(FrameOpcode.Pong, payload);

        public void OnPong(ReadOnlySpan<byte> payload)
        {
        }
    }
}
