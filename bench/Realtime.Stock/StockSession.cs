using System.Net.WebSockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace Realtime.Stock;

/// <summary>One connection: a receive loop that parses each message with JsonDocument and answers with JsonSerializer.</summary>
public sealed class StockSession(WebSocket socket)
{
    private static readonly string[] CannedTokens = ["You", " said:", " hello"];
    private const string CannedText = "You said: hello";

    private readonly SessionInfo _session = new()
    {
        Id = NewId("sess"),
        ExpiresAt = DateTimeOffset.UtcNow.AddMinutes(30).ToUnixTimeSeconds(),
    };

    private readonly MemoryStream _audio = new();

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await SendAsync(new SessionEvent("session.created", NewId("event"), _session), StockJsonContext.Default.SessionEvent, cancellationToken);
            var buffer = new byte[4096];
            using var message = new MemoryStream();
            while (socket.State == WebSocketState.Open)
            {
                message.SetLength(0);
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        return;
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                using JsonDocument document = JsonDocument.Parse(message.GetBuffer().AsMemory(0, (int)message.Length));
                await HandleAsync(document.RootElement, cancellationToken);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away.
        }
    }

    private async Task HandleAsync(JsonElement root, CancellationToken cancellationToken)
    {
        string? type = root.TryGetProperty("type", out JsonElement t) ? t.GetString() : null;
        string? eventId = root.TryGetProperty("event_id", out JsonElement id) ? id.GetString() : null;
        switch (type)
        {
            case "input_audio_buffer.append":
                byte[] pcm = Convert.FromBase64String(root.GetProperty("audio").GetString()!);
                _audio.Write(pcm);
                break;
            case "input_audio_buffer.clear":
                _audio.SetLength(0);
                await SendAsync(new SimpleEvent("input_audio_buffer.cleared", NewId("event")), StockJsonContext.Default.SimpleEvent, cancellationToken);
                break;
            case "session.update":
                ApplySession(root.GetProperty("session"));
                await SendAsync(new SessionEvent("session.updated", NewId("event"), _session), StockJsonContext.Default.SessionEvent, cancellationToken);
                break;
            case "response.create":
                await RespondAsync(root.TryGetProperty("response", out JsonElement r) ? r : default, cancellationToken);
                break;
            default:
                var error = new ErrorInfo("invalid_request_error", "unknown_event", "Unsupported event type: " + type, eventId);
                await SendAsync(new ErrorEvent("error", NewId("event"), error), StockJsonContext.Default.ErrorEvent, cancellationToken);
                break;
        }
    }

    private void ApplySession(JsonElement session)
    {
        if (session.TryGetProperty("instructions", out JsonElement instructions))
        {
            _session.Instructions = instructions.GetString() ?? "";
        }

        if (session.TryGetProperty("output_modalities", out JsonElement modalities))
        {
            _session.OutputModalities = modalities.EnumerateArray().Select(m => m.GetString() ?? "").ToArray();
        }

        if (session.TryGetProperty("audio", out JsonElement audio) && audio.TryGetProperty("input", out JsonElement input)
            && input.TryGetProperty("turn_detection", out JsonElement turnDetection))
        {
            _session.Audio.Input.TurnDetection = turnDetection.ValueKind == JsonValueKind.Null ? null : new TurnDetectionInfo();
        }
    }

    /// <summary>A canned three-token text answer, with the same event sequence a real text response has.</summary>
    private async Task RespondAsync(JsonElement request, CancellationToken cancellationToken)
    {
        string[] modalities = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("output_modalities", out JsonElement m)
            ? m.EnumerateArray().Select(x => x.GetString() ?? "").ToArray()
            : _session.OutputModalities;
        string? conversation = request.ValueKind == JsonValueKind.Object && request.TryGetProperty("conversation", out JsonElement c) ? c.GetString() : null;
        string? conversationId = conversation == "none" ? null : "conv_default";
        string responseId = NewId("resp");
        string itemId = NewId("item");

        var created = new ResponseInfo("realtime.response", responseId, "in_progress", [], conversationId, modalities, "inf", null);
        await SendAsync(new ResponseEvent("response.created", NewId("event"), created), StockJsonContext.Default.ResponseEvent, cancellationToken);
        await SendAsync(new ItemEvent("response.output_item.added", NewId("event"), responseId, 0, new Item(itemId, "realtime.item", "message", "in_progress", "assistant", [])), StockJsonContext.Default.ItemEvent, cancellationToken);
        await SendAsync(new PartEvent("response.content_part.added", NewId("event"), responseId, itemId, 0, 0, new ContentPart("text", "")), StockJsonContext.Default.PartEvent, cancellationToken);
        foreach (string token in CannedTokens)
        {
            await SendAsync(new TextDeltaEvent("response.output_text.delta", NewId("event"), responseId, itemId, 0, 0, token), StockJsonContext.Default.TextDeltaEvent, cancellationToken);
        }

        await SendAsync(new TextDoneEvent("response.output_text.done", NewId("event"), responseId, itemId, 0, 0, CannedText), StockJsonContext.Default.TextDoneEvent, cancellationToken);
        await SendAsync(new PartEvent("response.content_part.done", NewId("event"), responseId, itemId, 0, 0, new ContentPart("text", CannedText)), StockJsonContext.Default.PartEvent, cancellationToken);
        var item = new Item(itemId, "realtime.item", "message", "completed", "assistant", [new ContentPart("output_text", CannedText)]);
        await SendAsync(new ItemEvent("response.output_item.done", NewId("event"), responseId, 0, item), StockJsonContext.Default.ItemEvent, cancellationToken);
        var usage = new Usage(26, 23, 3, new TokenDetails(23, 0), new TokenDetails(3, 0));
        var done = new ResponseInfo("realtime.response", responseId, "completed", [item], conversationId, modalities, "inf", usage);
        await SendAsync(new ResponseEvent("response.done", NewId("event"), done), StockJsonContext.Default.ResponseEvent, cancellationToken);
        await SendAsync(new RateLimitsEvent("rate_limits.updated", NewId("event"), [new RateLimit("tokens", 15_000_000, 15_000_000, 0)]), StockJsonContext.Default.RateLimitsEvent, cancellationToken);
    }

    private Task SendAsync<T>(T value, JsonTypeInfo<T> type, CancellationToken cancellationToken) =>
        socket.SendAsync(JsonSerializer.SerializeToUtf8Bytes(value, type), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);

    private static string NewId(string prefix) => prefix + "_" + Guid.NewGuid().ToString("N")[..21];
}
