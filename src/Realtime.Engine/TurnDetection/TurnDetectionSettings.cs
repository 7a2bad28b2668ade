namespace Realtime.Engine.TurnDetection;

/// <summary>The server_vad parameters of the session (threshold 0–1, padding and silence in ms).</summary>
public sealed record TurnDetectionSettings(float Threshold = 0.5f, int PrefixPaddingMs = 300, int SilenceDurationMs = 500);
