using System.Text.Json;
using Realtime.Wire.Events;

namespace Realtime.Engine.Conversation;

/// <summary>Writes an item per dialect (§2.3): assistant parts are output_text/output_audio in GA, text/audio in beta.</summary>
internal static class ItemWriter
{
    public static void Write(Utf8JsonWriter json, ConversationItem item, Dialect dialect, bool includeAudio)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, item.Id);
        json.WriteString("object"u8, "realtime.item"u8);
        json.WriteString("type"u8, item.Type switch
        {
            ItemType.FunctionCall => "function_call",
            ItemType.FunctionCallOutput => "function_call_output",
            _ => "message",
        });
        json.WriteString("status"u8, item.Status switch
        {
            ItemStatus.Incomplete => "incomplete",
            ItemStatus.InProgress => "in_progress",
            _ => "completed",
        });
        switch (item.Type)
        {
            case ItemType.FunctionCall:
                json.WriteString("name"u8, item.Name);
                json.WriteString("call_id"u8, item.CallId);
                json.WriteString("arguments"u8, item.Arguments);
                break;
            case ItemType.FunctionCallOutput:
                json.WriteString("call_id"u8, item.CallId);
                json.WriteString("output"u8, item.Output);
                break;
            default:
                json.WriteString("role"u8, item.Role switch { ItemRole.System => "system", ItemRole.User => "user", _ => "assistant" });
                json.WriteStartArray("content"u8);
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
                json.WriteString("type"u8, "input_text"u8);
                json.WriteString("text"u8, part.Text);
                break;
            case ContentKind.InputImage:
                json.WriteString("type"u8, "input_image"u8);
                json.WriteString("image_url"u8, part.ImageUrl);
                json.WriteString("detail"u8, part.Detail);
                break;
            case ContentKind.OutputText:
                json.WriteString("type"u8, dialect == Dialect.Ga ? "output_text" : "text");
                json.WriteString("text"u8, part.Text);
                break;
            default:
                json.WriteString("type"u8, part.Kind == ContentKind.InputAudio ? "input_audio" : dialect == Dialect.Ga ? "output_audio" : "audio");
                if (includeAudio && part.Audio is not null)
                {
                    json.WriteBase64String("audio"u8, part.Audio.AsSpan(0, part.AudioLength));
                }

                json.WriteString("transcript"u8, part.Transcript);
                break;
        }

        json.WriteEndObject();
    }
}
