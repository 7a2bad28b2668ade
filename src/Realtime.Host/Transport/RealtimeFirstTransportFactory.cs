using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.Options;
using Realtime.Host.Connections;

namespace Realtime.Host.Transport;

/// <summary>
/// Kestrel's transport for this server: plaintext TCP endpoints get a <see cref="RealtimeFirstListener"/>, which serves
/// Realtime upgrades from its own accept loop and hands everything else to Kestrel; every other endpoint (TLS, Unix
/// sockets) gets Kestrel's socket transport unchanged.
/// </summary>
internal sealed class RealtimeFirstTransportFactory(
    IOptions<SocketTransportOptions> socketOptions,
    PlaintextEndpoints plaintext,
    IServiceProvider services,
    ILoggerFactory loggers) : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private readonly SocketTransportFactory _kestrel = new(socketOptions, loggers);
    private readonly SocketConnectionContextFactory _connections = new(
        new SocketConnectionFactoryOptions
        {
            IOQueueCount = socketOptions.Value.IOQueueCount,
            WaitForDataBeforeAllocatingBuffer = socketOptions.Value.WaitForDataBeforeAllocatingBuffer,
            MaxReadBufferSize = socketOptions.Value.MaxReadBufferSize,
            MaxWriteBufferSize = socketOptions.Value.MaxWriteBufferSize,
            UnsafePreferInlineScheduling = socketOptions.Value.UnsafePreferInlineScheduling,
        },
        loggers.CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets"));

    // The middleware is taken at the first bind, not when the host builds its server: options are validated at start.
    private readonly ILogger _logger = loggers.CreateLogger<RealtimeFirstListener>();

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (!plaintext.IsPlaintext(endpoint))
        {
            return _kestrel.BindAsync(endpoint, cancellationToken);
        }

        return ValueTask.FromResult<IConnectionListener>(
            RealtimeFirstListener.Bind(endpoint, socketOptions.Value, _connections, services.GetRequiredService<RealtimeConnectionMiddleware>(), _logger));
    }

    public bool CanBind(EndPoint endpoint) => _kestrel.CanBind(endpoint);

    public void Dispose() => _connections.Dispose();
}
