using Realtime.Wire.Audio;

namespace Realtime.Engine.Sessions;

/// <summary>
/// The configuration a non-WebSocket transport gives its session (what session.update carries on the Realtime
/// protocol, typed). Null members keep what the profile or an ephemeral secret configured.
/// </summary>
public sealed record SessionSettings
{
    /// <summary>Input and output audio format: G.711 µ-law for telephony passes through without a detour via 24 kHz.</summary>
    public AudioFormat Format { get; init; } = AudioFormat.Pcm16;

    public string? Instructions { get; init; }

    /// <summary>A Realtime voice name (alloy, …) or any other voice id the TTS engine knows (a custom voice).</summary>
    public string? Voice { get; init; }

    public IReadOnlyList<ToolDefinition>? Tools { get; init; }

    public TurnDetectionConfig? TurnDetection { get; init; }
}
