namespace Realtime.Engine.TurnDetection;

public enum TurnEventKind
{
    /// <summary>Speech began. AudioMs = speech start minus prefix padding (not below 0): the protocol's audio_start_ms.</summary>
    SpeechStarted,

    /// <summary>Silence lasted silence_duration_ms. AudioMs = the protocol's audio_end_ms (speech end + silence).</summary>
    SpeechStopped,
}

/// <summary>A turn boundary in audio time: milliseconds since the first sample fed to the detector.</summary>
public readonly record struct TurnEvent(TurnEventKind Kind, long AudioMs);
