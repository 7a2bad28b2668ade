namespace Realtime.Engine.TurnDetection;

/// <summary>semantic_vad eagerness: how readily a pause ends the user's turn (<c>auto</c> is <see cref="Medium"/>).</summary>
public enum TurnEagerness
{
    Low,
    Medium,
    High,
}
