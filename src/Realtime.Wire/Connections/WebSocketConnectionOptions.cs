namespace Realtime.Wire.Connections;

/// <summary>Limits and timings of one server WebSocket connection.</summary>
public sealed class WebSocketConnectionOptions
{
    /// <summary>Largest client message (all fragments); larger closes with 1009.</summary>
    public long MaxMessageBytes { get; init; } = 24 * 1024 * 1024;

    /// <summary>
    /// Largest client frame (header + payload) kept in the input pipe until it is whole, then handed over without a
    /// reassembly copy; larger frames are copied into a message buffer as they arrive. Must not exceed the input
    /// pipe's pause threshold (Kestrel's socket transport MaxReadBufferSize, 1 MiB by default).
    /// </summary>
    public long MaxHeldFrameBytes { get; init; } = 1024 * 1024;

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
