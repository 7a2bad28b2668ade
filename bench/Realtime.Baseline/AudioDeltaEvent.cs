using System.Text.Json.Serialization;

namespace Realtime.Baseline;

/// <summary>`response.output_audio.delta` as a POCO, serialized with JsonSerializer (source-generated metadata).</summary>
public sealed class AudioDeltaEvent
{
    [JsonPropertyName("type")]
    public string Type { get; set; } = "response.output_audio.delta";

    [JsonPropertyName("event_id")]
    public string EventId { get; set; } = "";

    [JsonPropertyName("response_id")]
    public string ResponseId { get; set; } = "";

    [JsonPropertyName("item_id")]
    public string ItemId { get; set; } = "";

    [JsonPropertyName("output_index")]
    public int OutputIndex { get; set; }

    [JsonPropertyName("content_index")]
    public int ContentIndex { get; set; }

    [JsonPropertyName("delta")]
    public string Delta { get; set; } = "";
}
