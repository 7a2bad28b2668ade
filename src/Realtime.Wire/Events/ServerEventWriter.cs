using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Realtime.Wire.Events;

/// <summary>
/// Writes server events into one reused buffer: <see cref="Begin"/> opens the envelope (`type`, a fresh `event_id`),
/// the caller adds fields with the returned <see cref="Utf8JsonWriter"/>, <see cref="End"/> closes it and returns the
/// UTF-8 payload, valid until the next event. Delta events have dedicated writers that allocate nothing; audio is
/// base64-encoded straight into the output buffer. Not thread-safe: one per session loop.
/// </summary>
public sealed class ServerEventWriter : IDisposable
{
    private static readonly JsonEncodedText TypeName = JsonEncodedText.Encode("type");
    private static readonly JsonEncodedText EventIdName = JsonEncodedText.Encode("event_id");
    private static readonly JsonEncodedText ResponseIdName = JsonEncodedText.Encode("response_id");
    private static readonly JsonEncodedText ItemIdName = JsonEncodedText.Encode("item_id");
    private static readonly JsonEncodedText OutputIndexName = JsonEncodedText.Encode("output_index");
    private static readonly JsonEncodedText ContentIndexName = JsonEncodedText.Encode("content_index");
    private static readonly JsonEncodedText CallIdName = JsonEncodedText.Encode("call_id");
    private static readonly JsonEncodedText DeltaName = JsonEncodedText.Encode("delta");

    // Rented by a burst's first event, reused by its next ones, returned by ReleaseBuffer when the session goes quiet:
    // an idle session holds no output buffer (a permanent 4 KB one was the largest part of an idle session's heap),
    // and a rare huge event (retrieving a long audio item) is not kept past the next one (KeepBufferUpTo). Returning
    // and renting it for every event of a burst was the largest single cost of writing one (perf, text responses).
    // Relaxed escaping: clients parse any valid JSON, and non-ASCII text stays one byte-sequence, not \uXXXX.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    // A JSON writer left by a session of this thread that went quiet, for the next one that writes here. Writers are
    // taken by the first event of a burst and given back with the buffer (ReleaseBuffer), so an idle session holds
    // none (136 bytes each) and a busy thread reuses one: nothing is allocated per burst once every thread has one.
    [ThreadStatic]
    private static Utf8JsonWriter? t_spareJson;

    private const int KeepBufferUpTo = 64 * 1024;

    private readonly Connections.PooledBufferWriter _buffer = new();
    private Utf8JsonWriter? _json;

    public ServerEventWriter(Dialect dialect)
    {
        Dialect = dialect;
    }

    public Dialect Dialect { get; }

    /// <summary>Starts an event: `{"type":…,"event_id":"event_…"`. Continue with the returned writer, finish with <see cref="End"/>.</summary>
    public Utf8JsonWriter Begin(ServerEventType type)
    {
        _buffer.Rewind(KeepBufferUpTo);
        Utf8JsonWriter json = _json ??= TakeJsonWriter();
        json.Reset(_buffer);
        json.WriteStartObject();
        json.WriteString(TypeName, ServerEventNames.Get(type, Dialect));
        Span<byte> id = stackalloc byte[32];
        int length = RealtimeIds.Write("event_"u8, id);
        json.WriteString(EventIdName, id[..length]);
        return json;
    }

    /// <summary>Closes the event opened by <see cref="Begin"/>; the payload stays valid until the next Begin.</summary>
    public ReadOnlySpan<byte> End()
    {
        Utf8JsonWriter json = _json!;
        json.WriteEndObject();
        json.Flush();
        return _buffer.WrittenSpan;
    }

    /// <summary>A text-like delta (`response.output_text.delta`, transcript delta): ids, indexes, escaped `delta`.</summary>
    public ReadOnlySpan<byte> WriteTextDelta(ServerEventType type, string responseId, string itemId, int outputIndex, int contentIndex, ReadOnlySpan<char> delta)
    {
        Utf8JsonWriter json = Begin(type);
        json.WriteString(ResponseIdName, responseId);
        json.WriteString(ItemIdName, itemId);
        json.WriteNumber(OutputIndexName, outputIndex);
        json.WriteNumber(ContentIndexName, contentIndex);
        json.WriteString(DeltaName, delta);
        return End();
    }

    /// <summary>`response.function_call_arguments.delta`.</summary>
    public ReadOnlySpan<byte> WriteArgumentsDelta(string responseId, string itemId, int outputIndex, string callId, ReadOnlySpan<char> delta)
    {
        Utf8JsonWriter json = Begin(ServerEventType.ResponseFunctionCallArgumentsDelta);
        json.WriteString(ResponseIdName, responseId);
        json.WriteString(ItemIdName, itemId);
        json.WriteNumber(OutputIndexName, outputIndex);
        json.WriteString(CallIdName, callId);
        json.WriteString(DeltaName, delta);
        return End();
    }

    /// <summary>`response.output_audio.delta` with <paramref name="audio"/> base64-encoded directly into the output buffer.</summary>
    public ReadOnlySpan<byte> WriteAudioDelta(string responseId, string itemId, int outputIndex, int contentIndex, ReadOnlySpan<byte> audio)
    {
        Utf8JsonWriter json = Begin(ServerEventType.ResponseOutputAudioDelta);
        json.WriteString(ResponseIdName, responseId);
        json.WriteString(ItemIdName, itemId);
        json.WriteNumber(OutputIndexName, outputIndex);
        json.WriteNumber(ContentIndexName, contentIndex);
        json.Flush();

        // The writer's object stays open; the tail is appended by hand and the writer is reset by the next Begin.
        ReadOnlySpan<byte> head = ",\"delta\":\""u8;
        int encodedLength = Base64.GetMaxEncodedToUtf8Length(audio.Length);
        Span<byte> span = _buffer.GetSpan(head.Length + encodedLength + 2);
        head.CopyTo(span);
        Base64.EncodeToUtf8(audio, span[head.Length..], out _, out int written);
        int end = head.Length + written;
        span[end] = (byte)'"';
        span[end + 1] = (byte)'}';
        _buffer.Advance(end + 2);
        return _buffer.WrittenSpan;
    }

    /// <summary>Returns the output buffer to the pool; the last payload is invalid afterwards. Call when the loop goes idle.</summary>
    public void ReleaseBuffer()
    {
        _buffer.Reset();
        if (_json is { } json)
        {
            _json = null;
            // Detached from this session's buffer, so the spare holds nothing of it.
            json.Reset(Unattached.Instance);
            t_spareJson ??= json;
        }
    }

    public void Dispose() => ReleaseBuffer();

    private static Utf8JsonWriter TakeJsonWriter()
    {
        Utf8JsonWriter? spare = t_spareJson;
        if (spare is null)
        {
            return new Utf8JsonWriter(Unattached.Instance, JsonOptions);
        }

        t_spareJson = null;
        return spare;
    }

    /// <summary>What a spare JSON writer points at between sessions: writing there is a bug, so it throws.</summary>
    private sealed class Unattached : System.Buffers.IBufferWriter<byte>
    {
        public static readonly Unattached Instance = new();

        public void Advance(int count) => throw new InvalidOperationException("A spare JSON writer was written to.");

        public Memory<byte> GetMemory(int sizeHint = 0) => throw new InvalidOperationException("A spare JSON writer was written to.");

        public Span<byte> GetSpan(int sizeHint = 0) => throw new InvalidOperationException("A spare JSON writer was written to.");
    }
}
