using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;
using Realtime.Wire.Buffers;

namespace Realtime.Wire.Events;

/// <summary>
/// Parses one client message in a single <see cref="Utf8JsonReader"/> pass into a reused <see cref="ClientEvent"/>.
/// `input_audio_buffer.append` decodes its base64 straight from the payload into the event's pooled buffer: a value
/// that is contiguous and unescaped is decoded in place, one split across segments or escaped goes through a pooled
/// scratch first. Nothing is allocated for a valid append once the buffers have grown. Not thread-safe.
/// </summary>
public sealed class ClientEventReader : IDisposable
{
    /// <summary>Largest decoded append (15 MiB), as on the hosted service.</summary>
    public const int DefaultMaxAppendBytes = 15 * 1024 * 1024;

    private const int KeyAudio = 1 << 0;
    private const int KeySession = 1 << 1;
    private const int KeyItem = 1 << 2;
    private const int KeyPreviousItemId = 1 << 3;
    private const int KeyItemId = 1 << 4;
    private const int KeyContentIndex = 1 << 5;
    private const int KeyAudioEndMs = 1 << 6;
    private const int KeyResponse = 1 << 7;
    private const int KeyResponseId = 1 << 8;

    private const string GaSupported =
        "'session.update', 'session.close', 'input_audio_buffer.append', 'session.input_audio_buffer.append', " +
        "'input_audio_buffer.commit', 'input_audio_buffer.clear', 'conversation.item.create', 'conversation.item.truncate', " +
        "'conversation.item.delete', 'conversation.item.retrieve', 'response.create', and 'response.cancel'";

    private const string BetaSupported =
        "'session.update', 'transcription_session.update', 'input_audio_buffer.append', 'input_audio_buffer.commit', " +
        "'input_audio_buffer.clear', 'conversation.item.create', 'conversation.item.truncate', 'conversation.item.delete', " +
        "'conversation.item.retrieve', 'response.create', and 'response.cancel'";

    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    private readonly Dialect _dialect;
    private readonly int _maxAppendBytes;
    private byte[] _scratch = [];

    public ClientEventReader(Dialect dialect, int maxAppendBytes = DefaultMaxAppendBytes)
    {
        _dialect = dialect;
        _maxAppendBytes = maxAppendBytes;
    }

    /// <summary>Parses <paramref name="message"/> into <paramref name="target"/>; false with the error to send otherwise.</summary>
    public bool TryRead(ReadOnlySequence<byte> message, ClientEvent target, out ClientEventError? error)
    {
        target.Clear();
        error = null;
        ClientEventError? fieldError = null;
        string? unknownKey = null;
        string? unknownType = null;
        bool hasType = false;
        int keys = 0;
        try
        {
            var reader = new Utf8JsonReader(message, ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = InvalidJson("Expected a JSON object.");
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("type"u8))
                {
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        fieldError ??= ClientEventError.InvalidType("type", "a string", Describe(reader.TokenType));
                        reader.Skip();
                        continue;
                    }

                    hasType = true;
                    target.Type = Identify(ref reader);
                    if (target.Type == ClientEventType.None)
                    {
                        unknownType = reader.GetString();
                    }
                }
                else if (reader.ValueTextEquals("event_id"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        target.SetEventId(ref reader);
                    }
                    else if (reader.TokenType != JsonTokenType.Null)
                    {
                        fieldError ??= ClientEventError.InvalidType("event_id", "a string", Describe(reader.TokenType));
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("audio"u8))
                {
                    keys |= KeyAudio;
                    reader.Read();
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        fieldError ??= ClientEventError.InvalidType("audio", "a string", Describe(reader.TokenType));
                        reader.Skip();
                        continue;
                    }

                    fieldError ??= DecodeAudio(ref reader, target);
                }
                else if (reader.ValueTextEquals("session"u8))
                {
                    keys |= KeySession;
                    fieldError ??= ReadObject(ref reader, target, "session");
                }
                else if (reader.ValueTextEquals("item"u8))
                {
                    keys |= KeyItem;
                    fieldError ??= ReadObject(ref reader, target, "item");
                }
                else if (reader.ValueTextEquals("response"u8))
                {
                    keys |= KeyResponse;
                    fieldError ??= ReadObject(ref reader, target, "response");
                }
                else if (reader.ValueTextEquals("previous_item_id"u8))
                {
                    keys |= KeyPreviousItemId;
                    reader.Read();
                    ClientEventError? previous_item_idError = ReadString(ref reader, "previous_item_id", out string? value);
                    fieldError ??= previous_item_idError;
                    target.PreviousItemId = value;
                }
                else if (reader.ValueTextEquals("item_id"u8))
                {
                    keys |= KeyItemId;
                    reader.Read();
                    ClientEventError? item_idError = ReadString(ref reader, "item_id", out string? value);
                    fieldError ??= item_idError;
                    target.ItemId = value;
                }
                else if (reader.ValueTextEquals("response_id"u8))
                {
                    keys |= KeyResponseId;
                    reader.Read();
                    ClientEventError? response_idError = ReadString(ref reader, "response_id", out string? value);
                    fieldError ??= response_idError;
                    target.ResponseId = value;
                }
                else if (reader.ValueTextEquals("content_index"u8))
                {
                    keys |= KeyContentIndex;
                    reader.Read();
                    ClientEventError? content_indexError = ReadInteger(ref reader, "content_index", out long? value);
                    fieldError ??= content_indexError;
                    target.ContentIndex = value;
                }
                else if (reader.ValueTextEquals("audio_end_ms"u8))
                {
                    keys |= KeyAudioEndMs;
                    reader.Read();
                    ClientEventError? audio_end_msError = ReadInteger(ref reader, "audio_end_ms", out long? value);
                    fieldError ??= audio_end_msError;
                    target.AudioEndMs = value;
                }
                else
                {
                    unknownKey ??= reader.GetString();
                    reader.Read();
                    reader.Skip();
                }
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = InvalidJson("Expected a single JSON object.");
                return false;
            }
        }
        catch (JsonException e)
        {
            error = InvalidJson(e.Message);
            return false;
        }
        catch (InvalidOperationException) when (!IsValidUtf8(message))
        {
            // A string value that is not valid UTF-8 (the frame layer rejects such text frames; callers that
            // bypass it still get an answer, not an exception). Found by the fuzz tests.
            error = InvalidJson("A string value is not valid UTF-8.");
            return false;
        }

        if (!hasType)
        {
            error = fieldError ?? ClientEventError.Missing("type");
            return false;
        }

        if (target.Type == ClientEventType.None)
        {
            error = ClientEventError.InvalidValue("type", $"Invalid value: '{unknownType}'. Supported values are: {(_dialect == Dialect.Beta ? BetaSupported : GaSupported)}.");
            return false;
        }

        error = fieldError ?? CheckKeys(target.Type, keys, unknownKey);
        return error is null;
    }

    private static bool IsValidUtf8(in ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment)
        {
            return System.Text.Unicode.Utf8.IsValid(message.FirstSpan);
        }

        byte[] copy = BufferPool<byte>.Rent((int)message.Length);
        try
        {
            message.CopyTo(copy);
            return System.Text.Unicode.Utf8.IsValid(copy.AsSpan(0, (int)message.Length));
        }
        finally
        {
            BufferPool<byte>.Return(copy);
        }
    }

    public void Dispose()
    {
        if (_scratch.Length > 0)
        {
            BufferPool<byte>.Return(_scratch);
            _scratch = [];
        }
    }

    private ClientEventType Identify(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("input_audio_buffer.append"u8) || reader.ValueTextEquals("session.input_audio_buffer.append"u8))
        {
            return _dialect == Dialect.Beta && reader.ValueTextEquals("session.input_audio_buffer.append"u8)
                ? ClientEventType.None
                : ClientEventType.InputAudioBufferAppend;
        }

        if (reader.ValueTextEquals("session.update"u8)) return ClientEventType.SessionUpdate;
        if (reader.ValueTextEquals("input_audio_buffer.commit"u8)) return ClientEventType.InputAudioBufferCommit;
        if (reader.ValueTextEquals("input_audio_buffer.clear"u8)) return ClientEventType.InputAudioBufferClear;
        if (reader.ValueTextEquals("conversation.item.create"u8)) return ClientEventType.ConversationItemCreate;
        if (reader.ValueTextEquals("conversation.item.retrieve"u8)) return ClientEventType.ConversationItemRetrieve;
        if (reader.ValueTextEquals("conversation.item.truncate"u8)) return ClientEventType.ConversationItemTruncate;
        if (reader.ValueTextEquals("conversation.item.delete"u8)) return ClientEventType.ConversationItemDelete;
        if (reader.ValueTextEquals("response.create"u8)) return ClientEventType.ResponseCreate;
        if (reader.ValueTextEquals("response.cancel"u8)) return ClientEventType.ResponseCancel;
        if (_dialect == Dialect.Ga && reader.ValueTextEquals("session.close"u8)) return ClientEventType.SessionClose;
        if (_dialect == Dialect.Beta && reader.ValueTextEquals("transcription_session.update"u8)) return ClientEventType.TranscriptionSessionUpdate;
        return ClientEventType.None;
    }

    private ClientEventError? DecodeAudio(ref Utf8JsonReader reader, ClientEvent target)
    {
        long encodedLength = reader.HasValueSequence ? reader.ValueSequence.Length : reader.ValueSpan.Length;
        long maxDecoded = encodedLength / 4 * 3 + 3;
        // Bound the length where it is first read, before renting: even fully padded it would decode too large.
        if (encodedLength / 4 * 3 - 2 > _maxAppendBytes)
        {
            return ClientEventError.InvalidValue("audio", $"Invalid 'audio': decoded audio exceeds the maximum of {_maxAppendBytes} bytes per append.");
        }

        Span<byte> destination = target.RentAudio((int)maxDecoded);
        OperationStatus status;
        int written;
        if (!reader.HasValueSequence && !reader.ValueIsEscaped)
        {
            status = Base64.DecodeFromUtf8(reader.ValueSpan, destination, out _, out written);
        }
        else
        {
            // Split across segments or escaped (e.g. "\/"): unescape into a pooled scratch, then decode.
            if (_scratch.Length < encodedLength)
            {
                if (_scratch.Length > 0)
                {
                    BufferPool<byte>.Return(_scratch);
                }

                _scratch = BufferPool<byte>.Rent((int)encodedLength);
            }

            int copied = reader.CopyString(_scratch);
            status = Base64.DecodeFromUtf8(_scratch.AsSpan(0, copied), destination, out _, out written);
        }

        if (status != OperationStatus.Done)
        {
            return ClientEventError.InvalidValue("audio", "Invalid 'audio'. Expected base64-encoded audio bytes.");
        }

        if (written > _maxAppendBytes)
        {
            return ClientEventError.InvalidValue("audio", $"Invalid 'audio': decoded audio exceeds the maximum of {_maxAppendBytes} bytes per append.");
        }

        target.AudioLength = written;
        return null;
    }

    private static ClientEventError? ReadObject(ref Utf8JsonReader reader, ClientEvent target, string name)
    {
        reader.Read();
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            ClientEventError error = ClientEventError.InvalidType(name, "an object", Describe(reader.TokenType));
            reader.Skip();
            return error;
        }

        target.SetDocument(name, JsonDocument.ParseValue(ref reader));
        return null;
    }

    private static ClientEventError? ReadString(ref Utf8JsonReader reader, string name, out string? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.String)
        {
            value = reader.GetString();
            return null;
        }

        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        ClientEventError error = ClientEventError.InvalidType(name, "a string", Describe(reader.TokenType));
        reader.Skip();
        return error;
    }

    private static ClientEventError? ReadInteger(ref Utf8JsonReader reader, string name, out long? value)
    {
        value = null;
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out long number))
        {
            value = number;
            return null;
        }

        string actual = reader.TokenType == JsonTokenType.Number ? "a decimal" : Describe(reader.TokenType);
        reader.Skip();
        return ClientEventError.InvalidType(name, "an integer", actual);
    }

    private static ClientEventError? CheckKeys(ClientEventType type, int keys, string? unknownKey)
    {
        if (unknownKey is not null)
        {
            return ClientEventError.Unknown(unknownKey);
        }

        (int allowed, int required) = type switch
        {
            ClientEventType.InputAudioBufferAppend => (KeyAudio, KeyAudio),
            ClientEventType.SessionUpdate or ClientEventType.TranscriptionSessionUpdate => (KeySession, KeySession),
            ClientEventType.ConversationItemCreate => (KeyItem | KeyPreviousItemId, KeyItem),
            ClientEventType.ConversationItemRetrieve or ClientEventType.ConversationItemDelete => (KeyItemId, KeyItemId),
            ClientEventType.ConversationItemTruncate => (KeyItemId | KeyContentIndex | KeyAudioEndMs, KeyItemId | KeyContentIndex | KeyAudioEndMs),
            ClientEventType.ResponseCreate => (KeyResponse, 0),
            ClientEventType.ResponseCancel => (KeyResponseId, 0),
            _ => (0, 0),
        };

        int extra = keys & ~allowed;
        if (extra != 0)
        {
            return ClientEventError.Unknown(KeyName(extra & -extra));
        }

        int missing = required & ~keys;
        if (missing != 0)
        {
            return ClientEventError.Missing(KeyName(missing & -missing));
        }

        return null;
    }

    private static string KeyName(int bit) => bit switch
    {
        KeyAudio => "audio",
        KeySession => "session",
        KeyItem => "item",
        KeyPreviousItemId => "previous_item_id",
        KeyItemId => "item_id",
        KeyContentIndex => "content_index",
        KeyAudioEndMs => "audio_end_ms",
        KeyResponse => "response",
        _ => "response_id",
    };

    private static ClientEventError InvalidJson(string detail) =>
        new("invalid_json", "Invalid event: failed to parse JSON value. " + detail, null);

    internal static string Describe(JsonTokenType token) => token switch
    {
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.StartObject => "an object",
        JsonTokenType.Null => "null",
        _ => "an unknown value",
    };
}
