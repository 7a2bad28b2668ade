using Realtime.Engine.Backends;
using Realtime.Engine.Responses;

namespace Realtime.Engine.Sessions;

/// <summary>
/// One entry of a session's inbox. A struct so queueing costs no allocation; pooled byte buffers travel with it and
/// are returned by the loop after use. <c>At</c> is a Stopwatch timestamp of when a backend's answer arrived (a final
/// transcript), for the response timeline.
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
    Action? Command = null,
    long At = 0);
