namespace Realtime.Engine.Profiles;

/// <summary>`Realtime:Models:&lt;name&gt;`: the four stages of a voice pipeline and the names clients may use for it.</summary>
public sealed class ModelProfileOptions
{
    public StageOptions Vad { get; set; } = new();

    public StageOptions Transcription { get; set; } = new();

    public StageOptions Llm { get; set; } = new();

    public StageOptions Tts { get; set; } = new();

    /// <summary>Other names that select this profile, e.g. `gpt-realtime`, `gpt-4o-realtime-preview`.</summary>
    public string[] Aliases { get; set; } = [];
}
