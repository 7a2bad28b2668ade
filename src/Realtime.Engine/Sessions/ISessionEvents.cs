using Realtime.Engine.Responses;

namespace Realtime.Engine.Sessions;

/// <summary>
/// What a session tells a transport that does not speak the Realtime WebSocket protocol (a phone call, later WebRTC):
/// typed callbacks instead of JSON events. All calls come from the session loop, one at a time, in event order; an
/// implementation must not block (post work elsewhere) and must copy spans it keeps.
/// </summary>
public interface ISessionEvents
{
    /// <summary>Server VAD heard the caller start speaking (the session has already cancelled its response, if any).</summary>
    void OnSpeechStarted(string itemId, long audioStartMs);

    /// <summary>Server VAD heard the end of the caller's turn; the turn is committed as <paramref name="itemId"/>.</summary>
    void OnSpeechStopped(string itemId, long audioEndMs);

    /// <summary>What speech-to-text heard in a committed user turn.</summary>
    void OnUserTranscript(string itemId, string? transcript);

    /// <summary>A piece of assistant audio in the session's output format; valid only during the call.</summary>
    void OnAudio(string responseId, string itemId, int contentIndex, ReadOnlySpan<byte> audio);

    /// <summary>The assistant audio part is complete (or was cut); <paramref name="transcript"/> is what it says.</summary>
    void OnAudioDone(string responseId, string itemId, int contentIndex, string transcript);

    /// <summary>The model called a function; the call is complete when its response finishes with status completed.</summary>
    void OnFunctionCall(string responseId, string itemId, string callId, string name, string arguments);

    /// <summary>A response ended (completed, cancelled by barge-in, incomplete or failed).</summary>
    void OnResponseDone(string responseId, ResponseStatus status, string? statusReason, string? errorMessage);

    /// <summary>The session refused something or hit an error; it goes on.</summary>
    void OnError(string code, string message);
}
