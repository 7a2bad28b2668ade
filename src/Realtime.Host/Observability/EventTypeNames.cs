using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Realtime.Host.Observability;

/// <summary>
/// Maps the `type` of a client or server event to one of a fixed set of names without allocating, so metric
/// labels stay bounded (anything unknown is "other") and carry nothing the client chose freely.
/// </summary>
internal static class EventTypeNames
{
    public const string Other = "other";

    private static readonly string[] Known =
    [
        // Client events.
        "session.update", "transcription_session.update", "input_audio_buffer.append", "input_audio_buffer.commit",
        "input_audio_buffer.clear", "conversation.item.create", "conversation.item.retrieve", "conversation.item.truncate",
        "conversation.item.delete", "response.create", "response.cancel", "output_audio_buffer.clear",
        // Server events.
        "error", "session.created", "session.updated", "transcription_session.created", "transcription_session.updated",
        "conversation.created", "conversation.item.created", "conversation.item.added", "conversation.item.done",
        "conversation.item.retrieved", "conversation.item.truncated", "conversation.item.deleted",
        "conversation.item.input_audio_transcription.delta", "conversation.item.input_audio_transcription.completed",
        "conversation.item.input_audio_transcription.failed", "conversation.item.input_audio_transcription.segment",
        "input_audio_buffer.committed", "input_audio_buffer.cleared", "input_audio_buffer.speech_started",
        "input_audio_buffer.speech_stopped", "input_audio_buffer.timeout_triggered",
        "response.created", "response.done", "response.output_item.added", "response.output_item.done",
        "response.content_part.added", "response.content_part.done", "response.output_text.delta", "response.output_text.done",
        "response.output_audio.delta", "response.output_audio.done", "response.output_audio_transcript.delta",
        "response.output_audio_transcript.done", "response.text.delta", "response.text.done", "response.audio.delta",
        "response.audio.done", "response.audio_transcript.delta", "response.audio_transcript.done",
        "response.function_call_arguments.delta", "response.function_call_arguments.done", "rate_limits.updated",
        "output_audio_buffer.started", "output_audio_buffer.stopped", "output_audio_buffer.cleared",
    ];

    private static readonly byte[][] KnownUtf8 = Array.ConvertAll(Known, Encoding.UTF8.GetBytes);

    /// <summary>The `type` of a JSON event, looked up among the top-level properties (usually the first).</summary>
    public static string Of(ReadOnlySequence<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        return Read(ref reader);
    }

    /// <inheritdoc cref="Of(ReadOnlySequence{byte})"/>
    public static string Of(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        return Read(ref reader);
    }

    /// <summary>The `error.code` of a server `error` event, or "none"; codes from the server's fixed set, else "other".</summary>
    public static string ErrorCodeOf(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Other;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (!reader.ValueTextEquals("error"u8))
                {
                    reader.Read();
                    reader.Skip();
                    continue;
                }

                reader.Read();
                if (reader.TokenType != JsonTokenType.StartObject)
                {
                    return Other;
                }

                while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                {
                    bool isCode = reader.ValueTextEquals("code"u8);
                    reader.Read();
                    if (isCode)
                    {
                        return reader.TokenType == JsonTokenType.String ? ErrorCodes.Name(ref reader) : "none";
                    }

                    reader.Skip();
                }

                return "none";
            }
        }
        catch (JsonException)
        {
            // Our own events are well formed; a broken one is still counted.
        }

        return Other;
    }

    private static string Read(ref Utf8JsonReader reader)
    {
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return Other;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isType = reader.ValueTextEquals("type"u8);
                if (!reader.Read())
                {
                    return Other;
                }

                if (isType)
                {
                    return reader.TokenType == JsonTokenType.String ? Lookup(ref reader) : Other;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Malformed input is the session's to report; here it only counts as "other".
        }

        return Other;
    }

    private static string Lookup(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return Other;
        }

        ReadOnlySpan<byte> value = reader.ValueSpan;
        for (int i = 0; i < KnownUtf8.Length; i++)
        {
            if (value.SequenceEqual(KnownUtf8[i]))
            {
                return Known[i];
            }
        }

        return Other;
    }
}
