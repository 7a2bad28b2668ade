using System.Text.Json.Serialization;

namespace Realtime.Baseline;

/// <summary>Reflection-free JSON is required repo-wide; this is the idiomatic way to keep JsonSerializer.</summary>
[JsonSerializable(typeof(AudioDeltaEvent))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
internal sealed partial class BaselineJsonContext : JsonSerializerContext;
