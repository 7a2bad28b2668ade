using Realtime.Engine.Sessions;
using Realtime.Wire.Connections;

namespace Realtime.Host.Connections;

/// <summary>Creates the session behind an accepted WebSocket (the Engine's realtime session; an echo until then).</summary>
public interface IRealtimeSessionFactory
{
    /// <summary>Creates a session for a connection that passed the handshake and authentication.</summary>
    IWebSocketSession Create(RealtimeConnectionInfo info, IMessageOutput output);
}
