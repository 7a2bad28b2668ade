using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Realtime.Wire.Connections;

namespace Realtime.Engine.Sessions;

/// <summary>Creates the session for an upgraded connection.</summary>
public sealed class RealtimeSessionFactory
{
    private readonly ISessionEngineResolver _resolver;
    private readonly RealtimeSessionOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;

    /// <param name="logger">Where sessions log; the Host runs each session inside a log scope naming its session id.</param>
    public RealtimeSessionFactory(ISessionEngineResolver resolver, RealtimeSessionOptions? options = null, TimeProvider? time = null, ILogger? logger = null)
    {
        _logger = logger ?? NullLogger.Instance;
        _resolver = resolver;
        _options = options ?? new RealtimeSessionOptions();
        _time = time ?? TimeProvider.System;
    }

    public IWebSocketSession Create(RealtimeConnectionInfo info, IMessageOutput output) =>
        new RealtimeSession(info, output, _resolver.Resolve(info.Model), _options, _time, _logger);

    /// <summary>
    /// A session driven through its typed seam (<see cref="RealtimeSession.AppendAudio"/>, <see cref="ISessionEvents"/>)
    /// by a transport other than the Realtime WebSocket. <paramref name="output"/> still receives the protocol events
    /// (metrics, drain); such a transport drops them.
    /// </summary>
    public RealtimeSession CreateForTransport(RealtimeConnectionInfo info, IMessageOutput output, ISessionEvents events) =>
        new(info, output, _resolver.Resolve(info.Model), _options, _time, _logger, events);
}
