namespace Realtime.Engine.Sessions;

/// <summary>`turn_detection` as configured (server_vad or semantic_vad), with the values in force.</summary>
public sealed record TurnDetectionConfig
{
    /// <summary>server_vad with the defaults: immutable, so every session starts with this one instance.</summary>
    public static readonly TurnDetectionConfig ServerVadDefault = new();

    public bool Semantic { get; init; }

    public double Threshold { get; init; } = 0.5;

    public int PrefixPaddingMs { get; init; } = 300;

    public int SilenceDurationMs { get; init; } = 500;

    public int? IdleTimeoutMs { get; init; }

    public bool CreateResponse { get; init; } = true;

    public bool InterruptResponse { get; init; } = true;

    public string Eagerness { get; init; } = "auto";
}
