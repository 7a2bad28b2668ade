namespace Realtime.Host.Options;

/// <summary>`Realtime:WebSocket`: keepalive and close timings, and how the socket transport schedules its work.</summary>
public sealed class RealtimeWebSocketOptions
{
    /// <summary>Seconds between keepalive pings (the hosted API pings about every 20 s); 0 disables them.</summary>
    public double KeepAliveIntervalSeconds { get; set; } = 20;

    /// <summary>
    /// Seconds a keepalive ping may go unanswered (nothing heard from the client) before the connection counts as
    /// half-open and is closed with 1011 "keepalive ping timeout"; 0 never gives up.
    /// </summary>
    public double KeepAliveTimeoutSeconds { get; set; } = 20;

    /// <summary>Seconds to wait for the client's close frame after the server's.</summary>
    public double CloseTimeoutSeconds { get; set; } = 5;

    /// <summary>
    /// Runs the connection's reads and sends on the thread that completed the socket operation instead of handing
    /// each to another thread-pool thread (Kestrel's <c>UnsafePreferInlineScheduling</c>). Session work never blocks
    /// (backends, recognition and synthesis run off the loop), so the hand-offs only cost: with them, a client event
    /// was read on one thread and its answer sent from another, a wake-up per event and per burst of output. Measured
    /// with the overhead harness (text responses, 32 connections): 47.8 → 42.0 µs of server CPU per response and
    /// 83 µs instead of 118 µs on a single connection. Set
    /// false if an in-process extension does blocking work on the connection's thread.
    /// </summary>
    public bool InlineScheduling { get; set; } = true;
}
