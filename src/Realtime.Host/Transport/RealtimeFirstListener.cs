using System.Net;
using System.Net.Sockets;
using System.Threading.Channels;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Realtime.Host.Connections;
using Realtime.Host.Observability;

namespace Realtime.Host.Transport;

/// <summary>
/// A plaintext listening socket whose Realtime upgrades are served straight from its accept loop; every other
/// connection (HTTP requests, the console page) is handed to Kestrel, its first bytes unread, through
/// <see cref="AcceptAsync"/>.
/// </summary>
/// <remarks>
/// Why: Kestrel hands every accepted connection to the thread pool before running it (a wake-up of a sleeping worker
/// and a switch to it), and tracks it with a connection object and a frame that stay for the connection's life. A
/// Realtime connection needs neither: its first request is already there when it is accepted (TCP_DEFER_ACCEPT), the
/// handshake and session.created take microseconds and never block, and the session's own registry drains it at
/// shutdown. Served here, the accept, the handshake and the first answer run on the socket engine's thread that saw
/// the connection arrive.
/// </remarks>
internal sealed class RealtimeFirstListener : IConnectionListener
{
    private readonly Socket _socket;
    private readonly SocketConnectionContextFactory _connections;
    private readonly RealtimeConnectionMiddleware _realtime;
    private readonly ILogger _logger;
    private readonly Channel<ConnectionContext> _handedOn = Channel.CreateUnbounded<ConnectionContext>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = false, AllowSynchronousContinuations = false });

    // The connections being served here, so that disposing the listener can abort what the drain left open.
    private readonly HashSet<ConnectionContext> _served = [];
    private readonly Task _acceptLoop;
    private readonly KeyValuePair<string, object?> _portTag;
    private TaskCompletionSource? _allServed;
    private CancellationToken _stopping = new(canceled: true);

    private static readonly TimeSpan AcceptRetryDelay = TimeSpan.FromMilliseconds(50);

    /// <summary>How long an aborted connection gets to finish its session's close path.</summary>
    private static readonly TimeSpan AbortWait = TimeSpan.FromSeconds(5);

    private RealtimeFirstListener(Socket socket, SocketConnectionContextFactory connections, RealtimeConnectionMiddleware realtime, ILogger logger)
    {
        _socket = socket;
        _connections = connections;
        _realtime = realtime;
        _logger = logger;
        EndPoint = socket.LocalEndPoint!;
        _portTag = new("server.port", ((IPEndPoint)EndPoint).Port);
        // Started with no execution context: Kestrel's bind runs in the host's start-up flow, and each connection here
        // should begin as clean as one Kestrel dispatches (the session captures its own log scope).
        using (ExecutionContext.SuppressFlow())
        {
            _acceptLoop = Task.Run(AcceptLoopAsync);
        }
    }

    public EndPoint EndPoint { get; }

    public static RealtimeFirstListener Bind(EndPoint endpoint, SocketTransportOptions options, SocketConnectionContextFactory connections, RealtimeConnectionMiddleware realtime, ILogger logger)
    {
        Socket socket;
        try
        {
            socket = options.CreateBoundListenSocket(endpoint);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            // Kestrel's own message for it ("address already in use"), and its IPv6 fallbacks, key on this type.
            throw new AddressInUseException(ex.Message, ex);
        }

        socket.Listen(options.Backlog);
        return new RealtimeFirstListener(socket, connections, realtime, logger);
    }

    /// <summary>Kestrel's accept: the connections that are not Realtime upgrades; null once unbound.</summary>
    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            return await _handedOn.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            return null;
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await _socket.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException { SocketErrorCode: SocketError.OperationAborted or SocketError.Interrupted })
            {
                break;
            }
            catch (SocketException ex) when (ex.SocketErrorCode == SocketError.ConnectionReset)
            {
                // The client gave up while its connection waited in the backlog: take the next one.
                continue;
            }
            catch (SocketException ex)
            {
                // Out of descriptors or memory for a moment: the next accept may succeed, but not in a tight loop.
                _logger.LogWarning("Accept on {EndPoint} failed ({Error}); retrying", EndPoint, ex.SocketErrorCode);
                await Task.Delay(AcceptRetryDelay).ConfigureAwait(false);
                continue;
            }

            accepted.NoDelay = true;
            _ = ServeAsync(_connections.Create(accepted));
        }

        _handedOn.Writer.TryComplete();
    }

    private async Task ServeAsync(ConnectionContext connection)
    {
        RealtimeMetrics.ConnectionsOpen.Add(1, _portTag);
        lock (_served)
        {
            _served.Add(connection);
        }

        bool served = true;
        try
        {
            served = await _realtime.ServeAsync(connection).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Connection {ConnectionId}: unhandled exception", connection.ConnectionId);
        }

        lock (_served)
        {
            _served.Remove(connection);
            if (_served.Count == 0)
            {
                _allServed?.TrySetResult();
            }
        }

        if (served || !_handedOn.Writer.TryWrite(connection))
        {
            await connection.DisposeAsync().ConfigureAwait(false);
        }

        // Closed, or Kestrel's from here on (its kestrel.active_connections counts it).
        RealtimeMetrics.ConnectionsOpen.Add(-1, _portTag);
    }

    /// <summary>Stops accepting; connections already taken (served here or handed to Kestrel) go on.</summary>
    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        // Kestrel's stop token (the host's shutdown timeout): the served sessions get until then to finish their drain.
        _stopping = cancellationToken;
        _socket.Dispose();
        return new ValueTask(_acceptLoop);
    }

    /// <summary>
    /// Called once Kestrel's own connections are closed. The sessions served here are closed by the session registry's
    /// drain (after their current response, or at the end of its grace period); those still open when the stop's time
    /// is up are aborted, as Kestrel aborts its own.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        _socket.Dispose();
        await _acceptLoop.ConfigureAwait(false);
        // Handed on after Kestrel's last accept: nobody will run them.
        while (_handedOn.Reader.TryRead(out ConnectionContext? orphan))
        {
            await orphan.DisposeAsync().ConfigureAwait(false);
        }

        Task allServed;
        lock (_served)
        {
            if (_served.Count == 0)
            {
                return;
            }

            _allServed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            allServed = _allServed.Task;
        }

        await allServed.WaitAsync(_stopping).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        lock (_served)
        {
            foreach (ConnectionContext connection in _served)
            {
                connection.Abort(new ConnectionAbortedException("The server is shutting down."));
            }
        }

        await allServed.WaitAsync(AbortWait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }
}
