using System.Text.Json;

namespace Realtime.Load;

/// <summary>The few fields of a server event the load tool needs, read with one <see cref="Utf8JsonReader"/> pass.</summary>
public readonly record struct ServerEvent(string Type, long AudioEndMs, string? ErrorCode, string? ResponseStatus)
{
    public static ServerEvent Read(ReadOnlySpan<byte> json)
    {
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
