namespace Realtime.Host.Options;

/// <summary>`Realtime:Limits`: sizes every connection is held to.</summary>
public sealed class RealtimeLimitsOptions
{
    /// <summary>Largest client message; the protocol needs about 21 MiB (15 MiB audio as base64 plus JSON).</summary>
    public long MaxMessageBytes { get; set; } = 24 * 1024 * 1024;

    /// <summary>Largest upgrade request head.</summary>
    public int MaxHandshakeHeaderBytes { get; set; } = 16 * 1024;

    /// <summary>Server messages longer than this are fragmented (strict clients reject frames over 1 MiB).</summary>
    public int OutgoingFragmentBytes { get; set; } = 64 * 1024;

    /// <summary>Queued output per connection beyond which the connection is closed (1008).</summary>
    public long MaxPendingOutputBytes { get; set; } = 4 * 1024 * 1024;
}
