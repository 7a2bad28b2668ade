using Realtime.Wire.Frames;

namespace Realtime.Wire.Connections;

/// <summary>Limits and timings of one server WebSocket connection.</summary>
public sealed class WebSocketConnectionOptions
{
    /// <summary>Largest client message (all fragments); larger closes with 1009.</summary>
    public long MaxMessageBytes { get; init; } = 24 * 1024 * 1024;

    /// <summary>
    /// An unfragmented frame up to this size is left in the transport pipe until all of it has arrived and is then
    /// unmasked and validated in one pass over the pipe's segments, with no copy; larger frames are assembled in a
    /// pooled buffer as they arrive. Must stay well below the pipe's pause threshold (Kestrel's MaxRequestBufferSize,
    /// 1 MiB by default), or a held frame would stop the reads that complete it.
    /// </summary>
    public int MaxHeldFrameBytes { get; init; } = FrameReader.DefaultMaxHeldFrameBytes;

    /// <summary>Server messages longer than this are sent as several frames.</summary>
    public int OutgoingFragmentBytes { get; init; } = 64 * 1024;

    /// <summary>Queued output beyond which a further send closes the connection with 1008 (client not reading).</summary>
    public long MaxPendingOutputBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>Interval of keepalive pings; zero disables them.</summary>
    public TimeSpan KeepAliveInterval { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>
    /// How long a keepalive ping may go unanswered — nothing at all heard from the peer since it was sent — before the
    /// peer counts as gone (half-open TCP) and the connection is closed with 1011; zero never gives up.
    /// </summary>
    public TimeSpan KeepAliveTimeout { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>How long to wait for the peer's close frame after sending ours.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(5);
}
