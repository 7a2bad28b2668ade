namespace Realtime.Host.Options;

/// <summary>The server's `Realtime` configuration section (connection level; models are configured elsewhere).</summary>
public sealed class RealtimeServerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Realtime";

    /// <summary>Accepted API keys; empty turns authentication off.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>Size limits.</summary>
    public RealtimeLimitsOptions Limits { get; set; } = new();

    /// <summary>WebSocket timings.</summary>
    public RealtimeWebSocketOptions WebSocket { get; set; } = new();
}
