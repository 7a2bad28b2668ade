namespace Realtime.Host.Options;

/// <summary>`Realtime:WebSocket`: keepalive and close timings.</summary>
public sealed class RealtimeWebSocketOptions
{
    /// <summary>Seconds between keepalive pings (the hosted API pings about every 20 s); 0 disables them.</summary>
    public double KeepAliveIntervalSeconds { get; set; } = 20;

    /// <summary>Seconds to wait for the client's close frame after the server's.</summary>
    public double CloseTimeoutSeconds { get; set; } = 5;
}
