namespace Realtime.Host.Options;

/// <summary>`Realtime:WebSocket`: keepalive and close timings.</summary>
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
}
