using System.Text.Json;

namespace Realtime.Load;

/// <summary>The few fields of a server event the load tool needs, read with one <see cref="Utf8JsonReader"/> pass.</summary>
public readonly record struct ServerEvent(string Type, long AudioEndMs, string? ErrorCode, string? ResponseStatus)
{
    // Frequent events whose type is all the tool needs (no response status, error code or audio_end_ms in them).
    private static readonly string[] TypeOnly =
    [
        "response.output_text.delta", "response.text.delta", "response.output_audio.delta", "response.audio.delta",
        "response.output_audio_transcript.delta", "response.audio_transcript.delta", "response.created",
        "response.output_item.added", "response.output_item.done", "response.content_part.added",
        "response.content_part.done", "response.output_text.done", "response.text.done", "response.output_audio.done",
        "response.audio.done", "response.output_audio_transcript.done", "response.audio_transcript.done",
        "conversation.item.added", "conversation.item.done", "conversation.item.created", "session.created",
        "session.updated", "input_audio_buffer.speech_started", "rate_limits.updated",
    ];

    private static readonly byte[][] TypeOnlyUtf8 = TypeOnly.Select(System.Text.Encoding.UTF8.GetBytes).ToArray();

    /// <summary>
    /// The event's type when the event starts with it, else empty. Both servers under test write "type" first: the
    /// load tool shares the cores with the server it measures, so the events it only counts are recognised without a
    /// JSON pass or a string (it parsed ~10 per text response).
    /// </summary>
    public static ReadOnlySpan<byte> LeadingType(ReadOnlySpan<byte> json)
    {
        if (!json.StartsWith("{\"type\":\""u8))
        {
            return [];
        }

        ReadOnlySpan<byte> rest = json[9..];
        int end = rest.IndexOf((byte)'"');
        return end > 0 ? rest[..end] : [];
    }

    public static ServerEvent Read(ReadOnlySpan<byte> json)
    {
        ReadOnlySpan<byte> head = LeadingType(json);
        for (int i = 0; i < TypeOnlyUtf8.Length && !head.IsEmpty; i++)
        {
            if (head.SequenceEqual(TypeOnlyUtf8[i]))
            {
                return new ServerEvent(TypeOnly[i], -1, null, null);
            }
        }

        var reader = new Utf8JsonReader(json);
        string type = "";
        long audioEnd = -1;
        string? code = null;
        string? status = null;
        string parent = "";
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName)
            {
                continue;
            }

            if (reader.CurrentDepth == 1)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    type = reader.GetString() ?? "";
                }
                else if (reader.ValueTextEquals("audio_end_ms"u8))
                {
                    reader.Read();
                    audioEnd = reader.GetInt64();
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    parent = "error";
                }
                else if (reader.ValueTextEquals("response"u8))
                {
                    parent = "response";
                }
                else if (reader.ValueTextEquals("delta"u8) || reader.ValueTextEquals("session"u8))
                {
                    // Large or nested values the tool does not need.
                    reader.Read();
                    reader.Skip();
                }
            }
            else if (reader.CurrentDepth == 2 && parent == "error" && reader.ValueTextEquals("code"u8))
            {
                reader.Read();
                code = reader.TokenType == JsonTokenType.String ? reader.GetString() : "none";
            }
            else if (reader.CurrentDepth == 2 && parent == "response" && reader.ValueTextEquals("status"u8))
            {
                reader.Read();
                status = reader.GetString();
            }
            else if (reader.CurrentDepth == 2)
            {
                reader.Read();
                reader.Skip();
            }
        }

        return new ServerEvent(type, audioEnd, code, status);
    }
}
