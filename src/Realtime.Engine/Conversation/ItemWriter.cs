using System.Text.Json;
using Realtime.Wire.Events;

namespace Realtime.Engine.Conversation;

/// <summary>Writes an item per dialect (§2.3): assistant parts are output_text/output_audio in GA, text/audio in beta.</summary>
internal static class ItemWriter
{
    public static void Write(Utf8JsonWriter json, ConversationItem item, Dialect dialect, bool includeAudio)
    {
        json.WriteStartObject();
        json.WriteString("id", item.Id);
        json.WriteString("object", "realtime.item");
        json.WriteString("type", item.Type switch
        {
            ItemType.FunctionCall => "function_call",
            ItemType.FunctionCallOutput => "function_call_output",
            _ => "message",
        });
        json.WriteString("status", item.Status switch
        {
            ItemStatus.Incomplete => "incomplete",
            ItemStatus.InProgress => "in_progress",
            _ => "completed",
        });
        switch (item.Type)
        {
            case ItemType.FunctionCall:
                json.WriteString("name", item.Name);
                json.WriteString("call_id", item.CallId);
                json.WriteString("arguments", item.Arguments);
                break;
            case ItemType.FunctionCallOutput:
                json.WriteString("call_id", item.CallId);
                json.WriteString("output", item.Output);
                break;
            default:
                json.WriteString("role", item.Role switch { ItemRole.System => "system", ItemRole.User => "user", _ => "assistant" });
                json.WriteStartArray("content");
                foreach (ContentPart part in item.Content)
                {
                    WritePart(json, part, dialect, includeAudio);
                }

                json.WriteEndArray();
                break;
        }

        json.WriteEndObject();
    }

    private static void WritePart(Utf8JsonWriter json, ContentPart part, Dialect dialect, bool includeAudio)
    {
        json.WriteStartObject();
        switch (part.Kind)
        {
            case ContentKind.InputText:
                json.WriteString("type", "input_text");
                json.WriteString("text", part.Text);
                break;
            case ContentKind.InputImage:
                json.WriteString("type", "input_image");
                json.WriteString("image_url", part.ImageUrl);
                json.WriteString("detail", part.Detail);
                break;
            case ContentKind.OutputText:
                json.WriteString("type", dialect == Dialect.Ga ? "output_text" : "text");
                json.WriteString("text", part.Text);
                break;
            default:
                json.WriteString("type", part.Kind == ContentKind.InputAudio ? "input_audio" : dialect == Dialect.Ga ? "output_audio" : "audio");
                if (includeAudio && part.Audio is not null)
                {
                    json.WriteBase64String("audio", part.Audio.AsSpan(0, part.AudioLength));
                }

                json.WriteString("transcript", part.Transcript);
                break;
        }

        json.WriteEndObject();
    }
}
