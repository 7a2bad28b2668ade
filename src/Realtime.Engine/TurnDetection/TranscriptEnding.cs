namespace Realtime.Engine.TurnDetection;

/// <summary>How a partial transcript ends, as far as turn-taking is concerned.</summary>
internal enum TranscriptEnding
{
    Neutral,
    Complete,
    Incomplete,
}
