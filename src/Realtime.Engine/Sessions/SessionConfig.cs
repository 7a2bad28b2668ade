using Realtime.Wire.Audio;

namespace Realtime.Engine.Sessions;

/// <summary>
/// The effective session: one internal model for both dialects (spelled at the edge by <see cref="SessionWriter"/>).
/// session.update validates a copy and swaps it in only when the whole update is valid.
/// </summary>
/// <remarks>
/// Never changed once a session holds it: every change applies to a <see cref="Clone"/> that replaces it. That is
/// what lets the sessions of a model start from one shared instance (the session's id and expiry are its own).
/// </remarks>
public sealed class SessionConfig
{
    public static readonly string[] Voices = ["alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse", "marin", "cedar"];

    public bool IsTranscription { get; init; }

    public string? Model { get; set; }

    public bool AudioOutput { get; set; } = true;

    public string Instructions { get; set; } =
        "You are a helpful, witty, and friendly AI. Act like a human, but remember that you aren't a human. Keep answers short.";

    public AudioFormat InputFormat { get; set; } = AudioFormat.Pcm16;

    public AudioFormat OutputFormat { get; set; } = AudioFormat.Pcm16;

    public TranscriptionConfig? Transcription { get; set; }

    public string? NoiseReduction { get; set; }

    public TurnDetectionConfig? TurnDetection { get; set; } = TurnDetectionConfig.ServerVadDefault;

    public string Voice { get; set; } = "alloy";

    /// <summary>True when the voice was given as a custom `{id}` object.</summary>
    public bool VoiceIsCustom { get; set; }

    public double Speed { get; set; } = 1.0;

    public IReadOnlyList<ToolDefinition> Tools { get; set; } = [];

    /// <summary>"auto", "none", "required", or "function" with <see cref="ToolChoiceFunction"/>.</summary>
    public string ToolChoice { get; set; } = "auto";

    public string? ToolChoiceFunction { get; set; }

    public int? MaxOutputTokens { get; set; }

    public double Temperature { get; set; } = 0.8;

    /// <summary>Raw JSON of `tracing` ("auto" as a JSON string, an object, or null).</summary>
    public string? TracingJson { get; set; }

    public string TruncationJson { get; set; } = "\"auto\"";

    public string? PromptJson { get; set; }

    public string? IncludeJson { get; set; }

    public bool? ParallelToolCalls { get; set; }

    public SessionConfig Clone()
    {
        var copy = (SessionConfig)MemberwiseClone();
        return copy;
    }

    /// <summary>The model-facing tool choice string: a forced function's name, or auto/none/required.</summary>
    public string ChatToolChoice => ToolChoice == "function" ? ToolChoiceFunction ?? "auto" : ToolChoice;
}
