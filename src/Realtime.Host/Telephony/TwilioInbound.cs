using System.Buffers.Text;
using System.Text.Json;

namespace Realtime.Host.Telephony;

/// <summary>The inbound Twilio Media Streams messages (their `event` field).</summary>
internal enum TwilioEvent { Unknown, Connected, Start, Media, Mark, Dtmf, Stop }

/// <summary>
/// Reads Twilio's JSON text frames. `media` (50 a second) and `mark` are read without allocating: one forward pass
/// over the bytes; the rare `start`, `dtmf` and `stop` go through a JsonDocument.
/// </summary>
internal static class TwilioInbound
{
    /// <summary>The message's `event`; Unknown for a message without one. Throws JsonException on malformed JSON.</summary>
    public static TwilioEvent ReadEvent(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return TwilioEvent.Unknown;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isEvent = reader.ValueTextEquals("event"u8);
            reader.Read();
            if (isEvent && reader.TokenType == JsonTokenType.String)
            {
                return reader.ValueTextEquals("media"u8) ? TwilioEvent.Media
                    : reader.ValueTextEquals("mark"u8) ? TwilioEvent.Mark
                    : reader.ValueTextEquals("start"u8) ? TwilioEvent.Start
                    : reader.ValueTextEquals("dtmf"u8) ? TwilioEvent.Dtmf
                    : reader.ValueTextEquals("stop"u8) ? TwilioEvent.Stop
                    : reader.ValueTextEquals("connected"u8) ? TwilioEvent.Connected
                    : TwilioEvent.Unknown;
            }

            reader.Skip();
        }

        return TwilioEvent.Unknown;
    }

    /// <summary>
    /// Decodes `media.payload` (base64 µ-law) into <paramref name="audio"/>; -1 when the message has no payload, is
    /// of another track than inbound, or the payload is not base64 or does not fit.
    /// </summary>
    public static int ReadMediaPayload(ReadOnlySpan<byte> json, Span<byte> audio)
    {
        var reader = new Utf8JsonReader(json);
        if (!FindObject(ref reader, "media"u8))
        {
            return -1;
        }

        int written = -1;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("track"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String && !reader.ValueTextEquals("inbound"u8) && !reader.ValueTextEquals("inbound_track"u8))
                {
                    return -1;
                }
            }
            else if (reader.ValueTextEquals("payload"u8))
            {
                reader.Read();
                if (reader.TokenType != JsonTokenType.String)
                {
                    return -1;
                }

                ReadOnlySpan<byte> base64 = reader.ValueSpan;
                if (reader.ValueIsEscaped)
                {
                    // JSON may escape '/' as "\/": unescape first (rare; Twilio does not, so this may allocate).
                    byte[] unescaped = new byte[base64.Length];
                    base64 = unescaped.AsSpan(0, reader.CopyString(unescaped));
                }

                if (Base64.DecodeFromUtf8(base64, audio, out _, out written) != System.Buffers.OperationStatus.Done)
                {
                    return -1;
                }
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }

        return written;
    }

    /// <summary>The echoed `mark.name` as UTF-8, copied into <paramref name="name"/>; -1 when absent or too long.</summary>
    public static int ReadMarkName(ReadOnlySpan<byte> json, Span<byte> name)
    {
        var reader = new Utf8JsonReader(json);
        if (!FindObject(ref reader, "mark"u8))
        {
            return -1;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool isName = reader.ValueTextEquals("name"u8);
            reader.Read();
            if (isName && reader.TokenType == JsonTokenType.String)
            {
                return reader.ValueSpan.Length > name.Length ? -1 : reader.CopyString(name);
            }

            reader.Skip();
        }

        return -1;
    }

    /// <summary>Moves the reader into the top-level object property <paramref name="property"/>.</summary>
    private static bool FindObject(ref Utf8JsonReader reader, ReadOnlySpan<byte> property)
    {
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            bool match = reader.ValueTextEquals(property);
            reader.Read();
            if (match && reader.TokenType == JsonTokenType.StartObject)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }
}
