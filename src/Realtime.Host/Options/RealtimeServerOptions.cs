namespace Realtime.Host.Options;

/// <summary>The server's `Realtime` configuration section (connection level; models are configured elsewhere).</summary>
public sealed class RealtimeServerOptions
{
    /// <summary>The configuration section name.</summary>
    public const string SectionName = "Realtime";

    /// <summary>Accepted API keys; empty turns authentication off.</summary>
    public string[] ApiKeys { get; set; } = [];

    /// <summary>
    /// Browser origins allowed to open sessions (`https://app.example.com`); empty allows any. A request with an
    /// `Origin` header not in the list gets HTTP 403 before the upgrade. Clients that send no Origin (SDKs, servers)
    /// are not affected.
    /// </summary>
    public string[] AllowedOrigins { get; set; } = [];

    /// <summary>Signing keys of ephemeral client secrets.</summary>
    public RealtimeClientSecretsOptions ClientSecrets { get; set; } = new();

    /// <summary>Size limits.</summary>
    public RealtimeLimitsOptions Limits { get; set; } = new();

    /// <summary>WebSocket timings.</summary>
    public RealtimeWebSocketOptions WebSocket { get; set; } = new();
}
