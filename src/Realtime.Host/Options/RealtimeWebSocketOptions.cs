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

    /// <summary>
    /// Serves Realtime upgrades on plaintext endpoints from the listener's own accept loop, on the thread that accepted
    /// them, instead of through Kestrel's per-connection dispatch (a thread-pool hand-off and Kestrel's connection
    /// tracking per connection; other requests still go to Kestrel). Measured with the overhead harness (handshake +
    /// session.created + close): 157 → 127 s of server CPU per million sessions, one thread-pool work item and one
    /// context switch less per session. Set false to run every connection through Kestrel: its connection limits and
    /// kestrel.* connection metrics then count Realtime connections too (served here, they are counted in
    /// realtime.connections.open).
    /// </summary>
    public bool DirectAccept { get; set; } = true;
}
