using System.Text.Json;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>
/// What the upgrade request decided, handed from the Host to the Engine when a session starts:
/// the dialect, the `model` query parameter (null when absent) and whether `intent=transcription` was asked.
/// </summary>
public sealed record RealtimeConnectionInfo(Dialect Dialect, string? Model, bool TranscriptionIntent)
{
    /// <summary>
    /// Session configuration the connection starts with (the `session` an ephemeral client secret was minted with),
    /// applied before session.created as if by a session.update; null for none.
    /// </summary>
    public JsonElement? InitialSession { get; init; }

    /// <summary>
    /// The session id (`sess_…`) chosen by the Host so that its log scope names the session as clients see it; null
    /// lets the Engine make one.
    /// </summary>
    public string? SessionId { get; init; }
}
