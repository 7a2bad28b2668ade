using System.Text.Json;
using System.Text.Json.Serialization;
using BenchmarkDotNet.Attributes;
using Realtime.Wire.Events;

namespace Realtime.Benchmarks.Events;

/// <summary>Server delta events: the pooled ServerEventWriter vs JsonSerializer.Serialize of a POCO (source-generated).</summary>
[MemoryDiagnoser]
public class DeltaWriteBenchmarks
{
    private readonly ServerEventWriter _writer = new(Dialect.Ga);
    private readonly byte[] _audio = new byte[960];
    private readonly string _responseId = RealtimeIds.NewResponse();
    private readonly string _itemId = RealtimeIds.NewItem();

    [Benchmark(Baseline = true)]
    public int TextDeltaJsonSerializer() =>
        JsonSerializer.SerializeToUtf8Bytes(new DeltaEvent("response.output_text.delta", RealtimeIds.New("event_"u8), _responseId, _itemId, 0, 0, " world"), DeltaJsonContext.Default.DeltaEvent).Length;

    [Benchmark]
    public int TextDeltaWriter() => _writer.WriteTextDelta(ServerEventType.ResponseOutputTextDelta, _responseId, _itemId, 0, 0, " world").Length;

    [Benchmark]
    public int AudioDelta20msJsonSerializer() =>
        JsonSerializer.SerializeToUtf8Bytes(new DeltaEvent("response.output_audio.delta", RealtimeIds.New("event_"u8), _responseId, _itemId, 0, 0, Convert.ToBase64String(_audio)), DeltaJsonContext.Default.DeltaEvent).Length;

    [Benchmark]
    public int AudioDelta20msWriter() => _writer.WriteAudioDelta(_responseId, _itemId, 0, 0, _audio).Length;
}

public sealed record DeltaEvent(
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("event_id")] string EventId,
    [property: JsonPropertyName("response_id")] string ResponseId,
    [property: JsonPropertyName("item_id")] string ItemId,
    [property: JsonPropertyName("output_index")] int OutputIndex,
    [property: JsonPropertyName("content_index")] int ContentIndex,
    [property: JsonPropertyName("delta")] string Delta);

[JsonSerializable(typeof(DeltaEvent))]
public sealed partial class DeltaJsonContext : JsonSerializerContext;
