using System.Text.Json;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>Checks a `session` object by the same rules as session.update, for configurations given outside a session (client secrets).</summary>
public static class SessionConfigValidator
{
    /// <summary>Null when valid; otherwise the error a session.update with it would get.</summary>
    public static ClientEventError? Validate(JsonElement session, Dialect dialect, bool transcription)
    {
        try
        {
            SessionConfigParser.Apply(new SessionConfig { IsTranscription = transcription }, session, dialect, transcriptionUpdate: false, audioProduced: false);
            return null;
        }
        catch (RequestException e)
        {
            return e.Error;
        }
    }
}
