namespace Realtime.Engine.Sessions;

/// <summary>Per-session limits, validated once at startup by the host.</summary>
public sealed record RealtimeSessionOptions
{
    /// <summary>Cap on input audio held in the buffer between commits (default 32 MiB, ~11 min of PCM16).</summary>
    public int MaxBufferedAudioBytes { get; init; } = 32 * 1024 * 1024;

    /// <summary>Cap on one append's decoded audio (15 MiB on the hosted service).</summary>
    public int MaxAppendBytes { get; init; } = 15 * 1024 * 1024;

    /// <summary>
    /// Cap on items in a session's conversation (`Realtime:Limits:MaxConversationItems`). Client items, commits and
    /// responses beyond it are refused with `conversation_item_limit_exceeded`; a response already running may still
    /// add its own output items.
    /// </summary>
    public int MaxConversationItems { get; init; } = 4096;

    /// <summary>
    /// Cap on text (characters) plus audio (bytes) held by a session's conversation
    /// (`Realtime:Limits:MaxConversationBytes`). Beyond it new items, appends and responses are refused and a running
    /// response whose audio crosses it fails, all with `conversation_size_exceeded`.
    /// </summary>
    public long MaxConversationBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>Maximum session duration reported in `expires_at`.</summary>
    public TimeSpan MaxDuration { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>Largest audio delta in milliseconds of audio (frames stay far below the 1 MiB client limit).</summary>
    public int MaxAudioDeltaMs { get; init; } = 100;

    /// <summary>
    /// Echo guard (`Realtime:TurnDetection:EchoHoldOffMs`): after the assistant's audio has played out on the input
    /// audio clock, speech starts stay guarded against its echo this much longer (room reverb, device latency).
    /// </summary>
    public int EchoHoldOffMs { get; init; } = 300;
}
