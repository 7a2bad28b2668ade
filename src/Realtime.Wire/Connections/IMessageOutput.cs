namespace Realtime.Wire.Connections;

/// <summary>
/// The sending side of a WebSocket connection, given to a session. Thread-safe: the session loop,
/// timers and the connection's own reader (pongs) may all send; one writer drains and flushes.
/// </summary>
public interface IMessageOutput
{
    /// <summary>Queues one text message (the payload is copied). False when the connection is closing or closed.</summary>
    bool SendText(ReadOnlySpan<byte> utf8Payload);

    /// <summary>
    /// Queues one text message like <see cref="SendText"/> but leaves it for the next <see cref="Flush"/>: a caller that
    /// sends a burst (a session loop handling an event) writes it in one go, on its own thread.
    /// </summary>
    bool QueueText(ReadOnlySpan<byte> utf8Payload) => SendText(utf8Payload);

    /// <summary>Writes what is queued: on the calling thread when no write is in progress, otherwise right after it.</summary>
    void Flush()
    {
    }

    /// <summary>Bytes queued but not yet written to the transport (for backpressure decisions).</summary>
    long PendingBytes { get; }

    /// <summary>Starts the closing handshake with a status code and a UTF-8 reason of at most 123 bytes.</summary>
    void Close(ushort closeStatus, string reason);
}
