using Realtime.Engine.Backends;
using Realtime.Engine.Sessions;
using Realtime.Wire.Audio;

namespace Realtime.Engine.Responses;

/// <summary>The configuration one response runs with: the session's values with the response.create overrides applied.</summary>
public sealed record ResponseSettings
{
    public bool AudioOutput { get; init; }

    public string Voice { get; init; } = "alloy";

    public bool VoiceIsCustom { get; init; }

    public AudioFormat OutputFormat { get; init; }

    public double Speed { get; init; } = 1.0;

    public string Instructions { get; init; } = "";

    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    public string ToolChoice { get; init; } = "auto";

    public double? Temperature { get; init; }

    public int? MaxOutputTokens { get; init; }

    /// <summary>Raw JSON object of `metadata`, echoed in response.created/done; null when absent.</summary>
    public string? MetadataJson { get; init; }

    /// <summary>`conversation: "none"`: output items are not added to the conversation.</summary>
    public bool OutOfBand { get; init; }

    /// <summary>Explicit `input` messages (replacing the conversation as context); null = the conversation.</summary>
    public IReadOnlyList<ChatMessage>? Input { get; init; }
}
