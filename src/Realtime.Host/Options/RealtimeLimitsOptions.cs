using Realtime.Engine.Sessions;

namespace Realtime.Host.Options;

/// <summary>`Realtime:Limits`: sizes every connection is held to.</summary>
public sealed class RealtimeLimitsOptions
{
    /// <summary>Largest client message; the protocol needs about 21 MiB (15 MiB audio as base64 plus JSON).</summary>
    public long MaxMessageBytes { get; set; } = 24 * 1024 * 1024;

    /// <summary>Largest decoded audio of one `input_audio_buffer.append` (15 MiB on the hosted service).</summary>
    public int MaxAppendBytes { get; set; } = new RealtimeSessionOptions().MaxAppendBytes;

    /// <summary>Input audio a session may buffer between commits; appends beyond it are refused with an `error`.</summary>
    public int MaxBufferedAudioBytes { get; set; } = new RealtimeSessionOptions().MaxBufferedAudioBytes;

    /// <summary>Items per session conversation; beyond it the client gets `conversation_item_limit_exceeded`.</summary>
    public int MaxConversationItems { get; set; } = new RealtimeSessionOptions().MaxConversationItems;

    /// <summary>Text (characters) plus audio (bytes) per session conversation; beyond it `conversation_size_exceeded`.</summary>
    public long MaxConversationBytes { get; set; } = new RealtimeSessionOptions().MaxConversationBytes;

    /// <summary>Largest upgrade request head.</summary>
    public int MaxHandshakeHeaderBytes { get; set; } = 16 * 1024;

    /// <summary>Server messages longer than this are fragmented (strict clients reject frames over 1 MiB).</summary>
    public int OutgoingFragmentBytes { get; set; } = 64 * 1024;

    /// <summary>Queued output per connection beyond which the connection is closed (1008).</summary>
    public long MaxPendingOutputBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Open sessions per process; further upgrades get HTTP 503 before the 101. 0 = unlimited.</summary>
    public int MaxConcurrentSessions { get; set; } = 1000;

    /// <summary>Open sessions per API key; further upgrades with that key get HTTP 429. 0 = unlimited.</summary>
    public int MaxSessionsPerApiKey { get; set; }

    /// <summary>
    /// Client events per second per session (a bucket of this many, refilled continuously); 0 = unlimited. An event
    /// over the limit is dropped with an `error` (rate_limit_error / rate_limit_exceeded); when the client keeps
    /// flooding until as many more have been dropped in a row, the session is closed with 1008.
    /// </summary>
    public int MaxEventsPerSecond { get; set; }

    /// <summary>On shutdown, how long open sessions may finish their current response before they are closed (1001).</summary>
    public double DrainGracePeriodSeconds { get; set; } = 10;

    /// <summary>
    /// On shutdown, how long the listener stays open after draining began (`/readyz` 503, new sessions refused with
    /// 503), so a load balancer polling `/readyz` takes the replica out before its connections are refused. 0: close
    /// at once (Kubernetes' preStop sleep plays this part there).
    /// </summary>
    public double DrainDelaySeconds { get; set; }
}
