using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Conversation;
using Realtime.Engine.Sessions;
using Realtime.Wire.Events;
using static Realtime.Engine.Sessions.JsonRules;

namespace Realtime.Engine.Responses;

/// <summary>Validates a `response.create` and resolves the settings the response runs with (§3.9, GA and beta spellings).</summary>
internal static class ResponseParser
{
    public static ResponseSettings Parse(JsonElement response, SessionConfig session, Dialect dialect, ConversationState conversation)
    {
        var settings = new ResponseSettings
        {
            AudioOutput = session.AudioOutput,
            Voice = session.Voice,
            VoiceIsCustom = session.VoiceIsCustom,
            OutputFormat = session.OutputFormat,
            Speed = session.Speed,
            Instructions = session.Instructions,
            Tools = session.Tools,
            ToolChoice = session.ChatToolChoice,
            Temperature = dialect == Dialect.Beta ? session.Temperature : null,
            MaxOutputTokens = session.MaxOutputTokens,
        };
        if (response.ValueKind != JsonValueKind.Object)
        {
            return settings;
        }

        foreach (JsonProperty property in response.EnumerateObject())
        {
            string path = "response." + property.Name;
            JsonElement value = property.Value;
            settings = (property.Name, dialect) switch
            {
                ("conversation", _) => settings with { OutOfBand = Enum(value, path, "auto", "none") == "none" },
                ("input", _) => settings with { Input = ReadInput(value, path, dialect, conversation) },
                ("instructions", _) => settings with { Instructions = String(value, path) },
                ("output_modalities", Dialect.Ga) => settings with { AudioOutput = SessionConfigParser.ReadGaModalities(value, path) },
                ("modalities", Dialect.Beta) => settings with { AudioOutput = SessionConfigParser.ReadBetaModalities(value, path) },
                ("audio", Dialect.Ga) => ReadGaAudio(settings, value, path, session),
                ("voice", Dialect.Beta) => ReadVoice(settings, value, path, session),
                ("output_audio_format", Dialect.Beta) => settings with { OutputFormat = SessionConfigParser.ReadBetaFormat(value, path) },
                ("tools", _) => settings with { Tools = SessionConfigParser.ReadTools(value, path) },
                ("tool_choice", _) => ReadToolChoice(settings, value, path),
                ("temperature", _) => settings with { Temperature = Decimal(value, path, 0.6, 1.2) },
                ("max_output_tokens", Dialect.Ga) or ("max_response_output_tokens", Dialect.Beta) => settings with { MaxOutputTokens = MaxTokens(value, path) },
                ("metadata", _) => settings with { MetadataJson = ReadMetadata(value, path) },
                // Accepted and validated; calls are always streamed one item after another.
                ("parallel_tool_calls", _) => Validated(Boolean(value, path), settings),
                ("reasoning", _) or ("prompt", _) or ("object", _) => settings,
                _ => throw Fail(ClientEventError.Unknown(path)),
            };
        }

        return settings;
    }

    private static ResponseSettings Validated(bool _, ResponseSettings settings) => settings;

    private static ResponseSettings ReadGaAudio(ResponseSettings settings, JsonElement audio, string path, SessionConfig session)
    {
        Object(audio, path);
        foreach (JsonProperty direction in audio.EnumerateObject())
        {
            if (direction.Name != "output")
            {
                throw Fail(ClientEventError.Unknown(path + "." + direction.Name));
            }

            Object(direction.Value, path + ".output");
            foreach (JsonProperty field in direction.Value.EnumerateObject())
            {
                string fieldPath = path + ".output." + field.Name;
                settings = field.Name switch
                {
                    "voice" => ReadVoice(settings, field.Value, fieldPath, session),
                    "format" => settings with { OutputFormat = SessionConfigParser.ReadGaFormat(field.Value, fieldPath) },
                    _ => throw Fail(ClientEventError.Unknown(fieldPath)),
                };
            }
        }

        return settings;
    }

    private static ResponseSettings ReadVoice(ResponseSettings settings, JsonElement value, string path, SessionConfig session)
    {
        // Only a response that names a voice pays for the holder the session parser validates it into.
        var voiceHolder = new SessionConfig { Voice = session.Voice, VoiceIsCustom = session.VoiceIsCustom };
        SessionConfigParser.ReadVoice(voiceHolder, value, path, audioProduced: false, allowObject: true);
        return settings with { Voice = voiceHolder.Voice, VoiceIsCustom = voiceHolder.VoiceIsCustom };
    }

    private static ResponseSettings ReadToolChoice(ResponseSettings settings, JsonElement value, string path)
    {
        (string choice, string? function) = SessionConfigParser.ReadToolChoice(value, path);
        return settings with { ToolChoice = choice == "function" ? function! : choice };
    }

    private static string? ReadMetadata(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        Object(value, path);
        int count = 0;
        foreach (JsonProperty entry in value.EnumerateObject())
        {
            string entryPath = path + "." + entry.Name;
            if (++count > 16)
            {
                throw Fail(ClientEventError.InvalidValue(path, $"Invalid '{path}': expected an object with at most 16 properties."));
            }

            if (entry.Name.Length > 64)
            {
                throw Fail(ClientEventError.InvalidValue(entryPath, $"Invalid '{path}': keys must be at most 64 characters."));
            }

            if (String(entry.Value, entryPath).Length > 512)
            {
                throw Fail(ClientEventError.InvalidValue(entryPath, $"Invalid '{entryPath}': values must be at most 512 characters."));
            }
        }

        return value.GetRawText();
    }

    private static List<ChatMessage> ReadInput(JsonElement input, string path, Dialect dialect, ConversationState conversation)
    {
        Array(input, path);
        var items = new List<ConversationItem>();
        int index = 0;
        foreach (JsonElement entry in input.EnumerateArray())
        {
            string entryPath = $"{path}[{index++}]";
            Object(entry, entryPath);
            if (entry.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("item_reference"))
            {
                string id = String(Required(entry, "id", entryPath + ".id"), entryPath + ".id");
                items.Add(conversation.Find(id) ?? throw Fail(ClientEventError.InvalidValue(entryPath + ".id", $"Invalid '{entryPath}.id': the item with id '{id}' does not exist.")));
            }
            else
            {
                items.Add(ItemParser.Parse(entry, entryPath, dialect));
            }
        }

        return ChatHistory.Build(items);
    }
}
