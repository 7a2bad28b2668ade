using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;

[assembly: SuppressMessage("Naming", "CA1720", Justification = "`object` is a Realtime API field name.")]

namespace Realtime.Stock;

// The server events of the subset, as plain classes for JsonSerializer (snake_case names, nulls written as the
// Realtime API does).
public sealed record MemoryReport(long ManagedHeapBytes, long WorkingSetBytes);

public sealed record RuntimeReport(long AllocatedBytes, int Gen0Collections, long ThreadpoolCompletedItems, int ThreadpoolThreads, long LockContentions);

public sealed class AudioFormatInfo
{
    public string Type { get; set; } = "audio/pcm";
    public int Rate { get; set; } = 24_000;
}

public sealed class TurnDetectionInfo
{
    public string Type { get; set; } = "server_vad";
    public double Threshold { get; set; } = 0.5;
    public int PrefixPaddingMs { get; set; } = 300;
    public int SilenceDurationMs { get; set; } = 500;
    public bool CreateResponse { get; set; } = true;
    public bool InterruptResponse { get; set; } = true;
}

public sealed class AudioInputInfo
{
    public AudioFormatInfo Format { get; set; } = new();
    public TurnDetectionInfo? TurnDetection { get; set; } = new();
}

public sealed class AudioOutputInfo
{
    public AudioFormatInfo Format { get; set; } = new();
    public string Voice { get; set; } = "alloy";
    public double Speed { get; set; } = 1;
}

public sealed class AudioInfo
{
    public AudioInputInfo Input { get; set; } = new();
    public AudioOutputInfo Output { get; set; } = new();
}

public sealed class SessionInfo
{
    public string Type { get; set; } = "realtime";
    public string Object { get; set; } = "realtime.session";
    public string Id { get; set; } = "";
    public string Model { get; set; } = "gpt-realtime";
    public string[] OutputModalities { get; set; } = ["audio"];
    public string Instructions { get; set; } = "You are a helpful, witty, and friendly AI. Keep answers short.";
    public AudioInfo Audio { get; set; } = new();
    public string ToolChoice { get; set; } = "auto";
    public string MaxOutputTokens { get; set; } = "inf";
    public long ExpiresAt { get; set; }
}

public sealed record SessionEvent(string Type, string EventId, SessionInfo Session);

public sealed record ContentPart(string Type, string Text);

public sealed record Item(string Id, string Object, string Type, string Status, string Role, ContentPart[] Content);

public sealed record TokenDetails(int TextTokens, int AudioTokens);

public sealed record Usage(int TotalTokens, int InputTokens, int OutputTokens, TokenDetails InputTokenDetails, TokenDetails OutputTokenDetails);

public sealed record ResponseInfo(string Object, string Id, string Status, Item[] Output, string? ConversationId, string[] OutputModalities, string MaxOutputTokens, Usage? Usage);

public sealed record ResponseEvent(string Type, string EventId, ResponseInfo Response);

public sealed record ItemEvent(string Type, string EventId, string ResponseId, int OutputIndex, Item Item);

public sealed record PartEvent(string Type, string EventId, string ResponseId, string ItemId, int OutputIndex, int ContentIndex, ContentPart Part);

public sealed record TextDeltaEvent(string Type, string EventId, string ResponseId, string ItemId, int OutputIndex, int ContentIndex, string Delta);

public sealed record TextDoneEvent(string Type, string EventId, string ResponseId, string ItemId, int OutputIndex, int ContentIndex, string Text);

public sealed record RateLimit(string Name, int Limit, int Remaining, int ResetSeconds);

public sealed record RateLimitsEvent(string Type, string EventId, RateLimit[] RateLimits);

public sealed record SimpleEvent(string Type, string EventId);

public sealed record ErrorInfo(string Type, string Code, string Message, string? EventId);

public sealed record ErrorEvent(string Type, string EventId, ErrorInfo Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(MemoryReport))]
[JsonSerializable(typeof(RuntimeReport))]
[JsonSerializable(typeof(SessionEvent))]
[JsonSerializable(typeof(ResponseEvent))]
[JsonSerializable(typeof(ItemEvent))]
[JsonSerializable(typeof(PartEvent))]
[JsonSerializable(typeof(TextDeltaEvent))]
[JsonSerializable(typeof(TextDoneEvent))]
[JsonSerializable(typeof(RateLimitsEvent))]
[JsonSerializable(typeof(SimpleEvent))]
[JsonSerializable(typeof(ErrorEvent))]
internal sealed partial class StockJsonContext : JsonSerializerContext;
