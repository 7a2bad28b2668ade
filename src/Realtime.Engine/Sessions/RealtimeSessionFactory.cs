using Realtime.Wire.Connections;

namespace Realtime.Engine.Sessions;

/// <summary>Creates the session for an upgraded connection.</summary>
public sealed class RealtimeSessionFactory
{
    private readonly ISessionEngineResolver _resolver;
    private readonly RealtimeSessionOptions _options;
    private readonly TimeProvider _time;

    public RealtimeSessionFactory(ISessionEngineResolver resolver, RealtimeSessionOptions? options = null, TimeProvider? time = null)
    {
        _resolver = resolver;
        _options = options ?? new RealtimeSessionOptions();
        _time = time ?? TimeProvider.System;
    }

    public IWebSocketSession Create(RealtimeConnectionInfo info, IMessageOutput output) =>
        new RealtimeSession(info, output, _resolver.Resolve(info.Model), _options, _time);
}
