using Realtime.Engine.Sessions;
using Realtime.Host.Connections;
using Realtime.Wire.Connections;
using Realtime.Wire.Frames;

namespace Realtime.Host.Engines;

/// <summary>Starts the Engine's realtime session for an accepted connection; refuses unknown models when strict.</summary>
public sealed class EngineSessionFactory(RealtimeSessionFactory sessions, ProfileEngineResolver resolver) : IRealtimeSessionFactory
{
    public IWebSocketSession Create(RealtimeConnectionInfo info, IMessageOutput output)
    {
        if (!info.TranscriptionIntent && !resolver.Catalog.TryResolve(info.Model, out _, out _))
        {
            return new RejectedSession(
                output,
                "invalid_model",
                $"Model \"{info.Model}\" is not supported in realtime mode. Configure it under Realtime:Models or as an alias.",
                CloseStatus.BadRequest);
        }

        if (resolver.UnavailableReason(info.Model) is { } reason)
        {
            // Said in the session itself (an error event, then close 1011) so every client shows why.
            return new RejectedSession(output, "engine_unavailable", reason, CloseStatus.InternalError, "server_error");
        }

        return sessions.Create(info, output);
    }
}
