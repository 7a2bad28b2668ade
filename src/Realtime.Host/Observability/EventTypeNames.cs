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

    /// <summary>Indices into <see cref="Known"/> by name length: a lookup compares only names of the right length.</summary>
    private static readonly int[][] ByLength = BuildByLength();

    /// <summary>The label index of `response.create` (the start of the response-latency stage).</summary>
    public static readonly int ResponseCreate = Array.IndexOf(Known, "response.create");

    /// <summary>The label index of a binary client message (not a JSON type).</summary>
    public static readonly int Binary = Known.Length;

    /// <summary>The label index of anything unknown.</summary>
    public static readonly int OtherIndex = Known.Length + 1;

    /// <summary>How many label indices there are (known names, binary, other).</summary>
    public static int Count => Known.Length + 2;

    /// <summary>The label of an index from <see cref="IndexOf(ReadOnlySpan{byte})"/>.</summary>
    public static string Name(int index) => index < Known.Length ? Known[index] : index == Binary ? "binary" : Other;

    /// <summary>The `type` of a JSON event, looked up among the top-level properties (usually the first).</summary>
    public static string Of(ReadOnlySequence<byte> json) => Name(IndexOf(json));

    /// <inheritdoc cref="Of(ReadOnlySequence{byte})"/>
    public static string Of(ReadOnlySpan<byte> json) => Name(IndexOf(json));

    /// <inheritdoc cref="IndexOf(ReadOnlySpan{byte})"/>
    public static int IndexOf(ReadOnlySequence<byte> json)
    {
        if (json.IsSingleSegment)
        {
            return IndexOf(json.FirstSpan);
        }

        var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
        return Read(ref reader);
    }

    /// <summary>
    /// The label index of a JSON event's `type`. The server's own events, and most clients', begin with it: that
    /// prefix is read directly; anything else goes through the JSON reader.
    /// </summary>
    public static int IndexOf(ReadOnlySpan<byte> json)
    {
        ReadOnlySpan<byte> prefix = "{\"type\":\""u8;
        if (json.StartsWith(prefix))
        {
            ReadOnlySpan<byte> rest = json[prefix.Length..];
            int end = rest.IndexOfAny((byte)'"', (byte)'\\');
            if (end >= 0 && rest[end] == (byte)'"')
            {
                return Lookup(rest[..end]);
            }
        }

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

    private static int Read(ref Utf8JsonReader reader)
    {
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return OtherIndex;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                bool isType = reader.ValueTextEquals("type"u8);
                if (!reader.Read())
                {
                    return OtherIndex;
                }

                if (isType)
                {
                    return reader.TokenType == JsonTokenType.String && !reader.ValueIsEscaped && !reader.HasValueSequence ? Lookup(reader.ValueSpan) : OtherIndex;
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // Malformed input is the session's to report; here it only counts as "other".
        }

        return OtherIndex;
    }

    private static int Lookup(ReadOnlySpan<byte> value)
    {
        if (value.Length < ByLength.Length)
        {
            foreach (int i in ByLength[value.Length])
            {
                if (value.SequenceEqual(KnownUtf8[i]))
                {
                    return i;
                }
            }
        }

        return OtherIndex;
    }

    private static int[][] BuildByLength()
    {
        int longest = KnownUtf8.Max(name => name.Length);
        var lists = new List<int>[longest + 1];
        for (int i = 0; i < KnownUtf8.Length; i++)
        {
            (lists[KnownUtf8[i].Length] ??= []).Add(i);
        }

        return Array.ConvertAll(lists, list => list?.ToArray() ?? []);
    }
}
