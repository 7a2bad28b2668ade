using Realtime.Engine.Backends;
using Realtime.Engine.Responses;

namespace Realtime.Engine.Sessions;

/// <summary>
/// One entry of a session's inbox. A struct so queueing costs no allocation; pooled byte buffers travel with it and
/// are returned by the loop after use.
/// </summary>
internal readonly record struct SessionMessage(
    SessionMessageKind Kind,
    byte[]? Buffer = null,
    int Length = 0,
    ResponseRun? Run = null,
    ChatDelta Delta = default,
    Exception? Error = null,
    string? Stage = null,
    string? ItemId = null,
    string? Text = null,
    bool Final = false,
    Action? Command = null);
