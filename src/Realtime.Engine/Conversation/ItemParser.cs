using System.Text.Json;
using Realtime.Engine.Sessions;
using Realtime.Wire.Events;
using static Realtime.Engine.Sessions.JsonRules;

namespace Realtime.Engine.Conversation;

/// <summary>
/// Builds a conversation item from a client `item` object (conversation.item.create or response.create input).
/// Lenient on unknown keys inside items (clients send `object`, `status`), strict on types and roles.
/// </summary>
internal static class ItemParser
{
    public static ConversationItem Parse(JsonElement item, string path, Dialect dialect)
    {
        Object(item, path);
        string id = item.TryGetProperty("id", out JsonElement idValue) && idValue.ValueKind != JsonValueKind.Null
            ? String(idValue, path + ".id")
            : RealtimeIds.NewItem();
        string type = Enum(Required(item, "type", path + ".type"), path + ".type", "message", "function_call", "function_call_output");
        switch (type)
        {
            case "function_call":
                return new ConversationItem
                {
                    Id = id,
                    Type = ItemType.FunctionCall,
                    CallId = item.TryGetProperty("call_id", out JsonElement c) ? String(c, path + ".call_id") : RealtimeIds.NewCall(),
                    Name = String(Required(item, "name", path + ".name"), path + ".name"),
                    Arguments = item.TryGetProperty("arguments", out JsonElement a) ? String(a, path + ".arguments") : "",
                };
            case "function_call_output":
                return new ConversationItem
                {
                    Id = id,
                    Type = ItemType.FunctionCallOutput,
                    CallId = String(Required(item, "call_id", path + ".call_id"), path + ".call_id"),
                    Output = String(Required(item, "output", path + ".output"), path + ".output"),
                };
        }

        string role = Enum(Required(item, "role", path + ".role"), path + ".role", "system", "user", "assistant");
        var message = new ConversationItem
        {
            Id = id,
            Type = ItemType.Message,
            Role = role switch { "system" => ItemRole.System, "user" => ItemRole.User, _ => ItemRole.Assistant },
        };
        JsonElement content = Required(item, "content", path + ".content");
        Array(content, path + ".content");
        int index = 0;
        foreach (JsonElement part in content.EnumerateArray())
        {
            string partPath = $"{path}.content[{index++}]";
            Object(part, partPath);
            string[] allowed = message.Role switch
            {
                ItemRole.System => ["input_text"],
                ItemRole.User => dialect == Dialect.Ga ? ["input_text", "input_audio", "input_image"] : ["input_text", "input_audio"],
                _ => dialect == Dialect.Ga ? ["output_text"] : ["text"],
            };
            string partType = Enum(Required(part, "type", partPath + ".type"), partPath + ".type", allowed);
            message.Content.Add(partType switch
            {
                "input_audio" => ParseAudio(part, partPath),
                "input_image" => new ContentPart
                {
                    Kind = ContentKind.InputImage,
                    ImageUrl = String(Required(part, "image_url", partPath + ".image_url"), partPath + ".image_url"),
                    Detail = part.TryGetProperty("detail", out JsonElement d) ? Enum(d, partPath + ".detail", "auto", "low", "high") : "auto",
                },
                "input_text" => new ContentPart { Kind = ContentKind.InputText, Text = String(Required(part, "text", partPath + ".text"), partPath + ".text") },
                _ => new ContentPart { Kind = ContentKind.OutputText, Text = String(Required(part, "text", partPath + ".text"), partPath + ".text") },
            });
        }

        return message;
    }

    private static ContentPart ParseAudio(JsonElement part, string path)
    {
        var content = new ContentPart { Kind = ContentKind.InputAudio };
        if (part.TryGetProperty("audio", out JsonElement audio) && audio.ValueKind != JsonValueKind.Null)
        {
            if (!audio.TryGetBytesFromBase64(out byte[]? bytes))
            {
                throw Fail(ClientEventError.InvalidValue(path + ".audio", $"Invalid '{path}.audio'. Expected base64-encoded audio bytes."));
            }

            content.Audio = bytes;
            content.AudioLength = bytes.Length;
        }

        if (part.TryGetProperty("transcript", out JsonElement transcript))
        {
            content.Transcript = NullableString(transcript, path + ".transcript");
        }

        return content;
    }
}
