using Realtime.Engine.Sessions;
using Realtime.Wire.Connections;

namespace Realtime.Host.Connections;

/// <summary>Default factory until the Engine session is wired in: every text message is sent back unchanged.</summary>
internal sealed class EchoSessionFactory : IRealtimeSessionFactory
{
    public IWebSocketSession Create(RealtimeConnectionInfo info, IMessageOutput output) => new EchoSession(output);
}
