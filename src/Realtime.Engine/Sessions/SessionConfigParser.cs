using System.Text.Json;
using Realtime.Wire.Audio;
using Realtime.Wire.Events;
using static Realtime.Engine.Sessions.JsonRules;

namespace Realtime.Engine.Sessions;

/// <summary>
/// Applies a `session.update` (GA or beta spelling) or beta `transcription_session.update` to a copy of the session,
/// validating every field; throws <see cref="RequestException"/> naming the dotted param on the first bad field.
/// Unknown session keys are rejected (the hosted service is strict there); unknown keys inside the transcription
/// object are ignored (clients send newer optional keys).
/// </summary>
internal static class SessionConfigParser
{
    public static SessionConfig Apply(SessionConfig current, JsonElement session, Dialect dialect, bool transcriptionUpdate, bool audioProduced)
    {
        SessionConfig next = current.Clone();
        if (dialect == Dialect.Ga)
        {
            ApplyGa(next, session, current, audioProduced);
        }
        else
        {
            ApplyBeta(next, session, transcriptionUpdate || current.IsTranscription, audioProduced, current);
        }

        return next;
    }

    private static void ApplyGa(SessionConfig next, JsonElement session, SessionConfig current, bool audioProduced)
    {
        if (!session.TryGetProperty("type", out JsonElement type))
        {
            throw Fail(ClientEventError.Missing("session.type"));
        }

        string kind = Enum(type, "session.type", "realtime", "transcription");
        if ((kind == "transcription") != current.IsTranscription)
        {
            throw Fail(ClientEventError.InvalidValue("session.type", $"Invalid value: '{kind}'. The session type cannot be changed from '{(current.IsTranscription ? "transcription" : "realtime")}'."));
        }

        foreach (JsonProperty property in session.EnumerateObject())
        {
            string path = "session." + property.Name;
            JsonElement value = property.Value;
            bool realtimeOnly = true;
            switch (property.Name)
            {
                case "type":
                case "object":
                case "id":
                case "expires_at":
                    realtimeOnly = false;
                    break;
                case "audio":
                    realtimeOnly = false;
                    ApplyGaAudio(next, value, current.IsTranscription, audioProduced);
                    break;
                case "include":
                    realtimeOnly = false;
                    next.IncludeJson = ReadInclude(value, path);
                    break;
                case "model":
                    next.Model = String(value, path);
                    break;
                case "output_modalities":
                    next.AudioOutput = ReadGaModalities(value, path);
                    break;
                case "instructions":
                    next.Instructions = String(value, path);
                    break;
                case "tools":
                    next.Tools = ReadTools(value, path);
                    break;
                case "tool_choice":
                    (next.ToolChoice, next.ToolChoiceFunction) = ReadToolChoice(value, path);
                    break;
                case "max_output_tokens":
                    next.MaxOutputTokens = MaxTokens(value, path);
                    break;
                case "tracing":
                    next.TracingJson = ReadTracing(value, path, current.TracingJson);
                    break;
                case "truncation":
                    next.TruncationJson = ReadTruncation(value, path);
                    break;
                case "prompt":
                    next.PromptJson = value.ValueKind == JsonValueKind.Null ? null : RawObject(value, path);
                    break;
                case "parallel_tool_calls":
                    next.ParallelToolCalls = Boolean(value, path);
                    break;
                default:
                    throw Fail(ClientEventError.Unknown(path));
            }

            if (realtimeOnly && current.IsTranscription)
            {
                throw Fail(ClientEventError.Unknown(path));
            }
        }
    }

    private static void ApplyGaAudio(SessionConfig next, JsonElement audio, bool transcription, bool audioProduced)
    {
        Object(audio, "session.audio");
        foreach (JsonProperty direction in audio.EnumerateObject())
        {
            string path = "session.audio." + direction.Name;
            if (direction.Name == "input")
            {
                Object(direction.Value, path);
                foreach (JsonProperty field in direction.Value.EnumerateObject())
                {
                    string fieldPath = path + "." + field.Name;
                    switch (field.Name)
                    {
                        case "format": next.InputFormat = ReadGaFormat(field.Value, fieldPath); break;
                        case "transcription": next.Transcription = ReadTranscription(field.Value, fieldPath); break;
                        case "noise_reduction": next.NoiseReduction = ReadNoiseReduction(field.Value, fieldPath); break;
                        case "turn_detection": next.TurnDetection = ReadTurnDetection(field.Value, fieldPath); break;
                        default: throw Fail(ClientEventError.Unknown(fieldPath));
                    }
                }
            }
            else if (direction.Name == "output" && !transcription)
            {
                Object(direction.Value, path);
                foreach (JsonProperty field in direction.Value.EnumerateObject())
                {
                    string fieldPath = path + "." + field.Name;
                    switch (field.Name)
                    {
                        case "format": next.OutputFormat = ReadGaFormat(field.Value, fieldPath); break;
                        case "voice": ReadVoice(next, field.Value, fieldPath, audioProduced, allowObject: true); break;
                        case "speed": next.Speed = Decimal(field.Value, fieldPath, 0.25, 1.5); break;
                        default: throw Fail(ClientEventError.Unknown(fieldPath));
                    }
                }
            }
            else
            {
                throw Fail(ClientEventError.Unknown(path));
            }
        }
    }

    private static void ApplyBeta(SessionConfig next, JsonElement session, bool transcription, bool audioProduced, SessionConfig current)
    {
        foreach (JsonProperty property in session.EnumerateObject())
        {
            string path = "session." + property.Name;
            JsonElement value = property.Value;
            bool realtimeOnly = true;
            switch (property.Name)
            {
                case "object":
                case "id":
                case "expires_at":
                case "client_secret":
                    realtimeOnly = false;
                    break;
                case "input_audio_format":
                    realtimeOnly = false;
                    next.InputFormat = ReadBetaFormat(value, path);
                    break;
                case "input_audio_transcription":
                    realtimeOnly = false;
                    next.Transcription = ReadTranscription(value, path);
                    break;
                case "input_audio_noise_reduction":
                    realtimeOnly = false;
                    next.NoiseReduction = ReadNoiseReduction(value, path);
                    break;
                case "turn_detection":
                    realtimeOnly = false;
                    next.TurnDetection = ReadTurnDetection(value, path);
                    break;
                case "include":
                    realtimeOnly = false;
                    next.IncludeJson = ReadInclude(value, path);
                    break;
                case "model":
                    next.Model = String(value, path);
                    break;
                case "modalities":
                    next.AudioOutput = ReadBetaModalities(value, path);
                    break;
                case "instructions":
                    next.Instructions = String(value, path);
                    break;
                case "voice":
                    ReadVoice(next, value, path, audioProduced, allowObject: false);
                    break;
                case "output_audio_format":
                    next.OutputFormat = ReadBetaFormat(value, path);
                    break;
                case "tools":
                    next.Tools = ReadTools(value, path);
                    break;
                case "tool_choice":
                    (next.ToolChoice, next.ToolChoiceFunction) = ReadToolChoice(value, path);
                    break;
                case "temperature":
                    next.Temperature = Decimal(value, path, 0.6, 1.2);
                    break;
                case "max_response_output_tokens":
                    next.MaxOutputTokens = MaxTokens(value, path);
                    break;
                case "speed":
                    next.Speed = Decimal(value, path, 0.25, 1.5);
                    break;
                case "tracing":
                    next.TracingJson = ReadTracing(value, path, current.TracingJson);
                    break;
                case "prompt":
                    next.PromptJson = value.ValueKind == JsonValueKind.Null ? null : RawObject(value, path);
                    break;
                default:
                    throw Fail(ClientEventError.Unknown(path));
            }

            if (realtimeOnly && transcription)
            {
                throw Fail(ClientEventError.Unknown(path));
            }
        }
    }

    internal static bool ReadGaModalities(JsonElement value, string path)
    {
        Array(value, path);
        if (value.GetArrayLength() != 1)
        {
            throw Fail(ClientEventError.InvalidValue(path, $"Invalid '{path}': expected exactly one of 'text' or 'audio'."));
        }

        return Enum(value[0], path + "[0]", "text", "audio") == "audio";
    }

    internal static bool ReadBetaModalities(JsonElement value, string path)
    {
        Array(value, path);
        bool audio = false;
        bool text = false;
        int index = 0;
        foreach (JsonElement entry in value.EnumerateArray())
        {
            string modality = Enum(entry, $"{path}[{index++}]", "text", "audio");
            audio |= modality == "audio";
            text |= modality == "text";
        }

        if (!text)
        {
            throw Fail(ClientEventError.InvalidValue(path, $"Invalid '{path}': supported combinations are ['text'] and ['audio', 'text']."));
        }

        return audio;
    }

    internal static AudioFormat ReadGaFormat(JsonElement value, string path)
    {
        Object(value, path);
        string type = Enum(Required(value, "type", path + ".type"), path + ".type", "audio/pcm", "audio/pcmu", "audio/pcma");
        foreach (JsonProperty property in value.EnumerateObject())
        {
            if (property.Name == "rate")
            {
                if (type != "audio/pcm")
                {
                    Integer(property.Value, path + ".rate", 8000, 8000);
                }
                else
                {
                    Integer(property.Value, path + ".rate", 24000, 24000);
                }
            }
            else if (property.Name != "type")
            {
                throw Fail(ClientEventError.Unknown(path + "." + property.Name));
            }
        }

        return type switch
        {
            "audio/pcmu" => AudioFormat.G711Ulaw,
            "audio/pcma" => AudioFormat.G711Alaw,
            _ => AudioFormat.Pcm16,
        };
    }

    internal static AudioFormat ReadBetaFormat(JsonElement value, string path) => Enum(value, path, "pcm16", "g711_ulaw", "g711_alaw") switch
    {
        "g711_ulaw" => AudioFormat.G711Ulaw,
        "g711_alaw" => AudioFormat.G711Alaw,
        _ => AudioFormat.Pcm16,
    };

    internal static void ReadVoice(SessionConfig next, JsonElement value, string path, bool audioProduced, bool allowObject)
    {
        string voice;
        bool custom = false;
        if (allowObject && value.ValueKind == JsonValueKind.Object)
        {
            voice = String(Required(value, "id", path + ".id"), path + ".id");
            custom = true;
        }
        else
        {
            voice = Enum(value, path, SessionConfig.Voices);
        }

        if (audioProduced && (voice != next.Voice || custom != next.VoiceIsCustom))
        {
            throw Fail(new ClientEventError("cannot_update_voice", "Cannot update a conversation's voice if assistant audio is present.", path));
        }

        next.Voice = voice;
        next.VoiceIsCustom = custom;
    }

    private static TranscriptionConfig? ReadTranscription(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        Object(value, path);
        string? model = null, language = null, prompt = null;
        foreach (JsonProperty property in value.EnumerateObject())
        {
            switch (property.Name)
            {
                case "model": model = NullableString(property.Value, path + ".model"); break;
                case "language": language = NullableString(property.Value, path + ".language"); break;
                case "prompt": prompt = NullableString(property.Value, path + ".prompt"); break;
                default: break;
            }
        }

        return new TranscriptionConfig(model, language, prompt);
    }

    private static string? ReadNoiseReduction(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        Object(value, path);
        foreach (JsonProperty property in value.EnumerateObject())
        {
            if (property.Name != "type")
            {
                throw Fail(ClientEventError.Unknown(path + "." + property.Name));
            }
        }

        return Enum(Required(value, "type", path + ".type"), path + ".type", "near_field", "far_field");
    }

    private static TurnDetectionConfig? ReadTurnDetection(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        Object(value, path);
        bool semantic = Enum(Required(value, "type", path + ".type"), path + ".type", "server_vad", "semantic_vad") == "semantic_vad";
        var config = new TurnDetectionConfig { Semantic = semantic };
        foreach (JsonProperty property in value.EnumerateObject())
        {
            string fieldPath = path + "." + property.Name;
            JsonElement field = property.Value;
            config = property.Name switch
            {
                "type" => config,
                "threshold" when !semantic => config with { Threshold = Decimal(field, fieldPath, 0, 1) },
                "prefix_padding_ms" when !semantic => config with { PrefixPaddingMs = Integer(field, fieldPath, 0, int.MaxValue) },
                "silence_duration_ms" when !semantic => config with { SilenceDurationMs = Integer(field, fieldPath, 0, int.MaxValue) },
                "idle_timeout_ms" when !semantic => config with { IdleTimeoutMs = field.ValueKind == JsonValueKind.Null ? null : Integer(field, fieldPath, 0, int.MaxValue) },
                "create_response" => config with { CreateResponse = Boolean(field, fieldPath) },
                "interrupt_response" => config with { InterruptResponse = Boolean(field, fieldPath) },
                "eagerness" when semantic => config with { Eagerness = Enum(field, fieldPath, "low", "medium", "high", "auto") },
                _ => throw Fail(ClientEventError.Unknown(fieldPath)),
            };
        }

        return config;
    }

    internal static IReadOnlyList<ToolDefinition> ReadTools(JsonElement value, string path)
    {
        Array(value, path);
        var tools = new List<ToolDefinition>();
        int index = 0;
        foreach (JsonElement tool in value.EnumerateArray())
        {
            string toolPath = $"{path}[{index++}]";
            Object(tool, toolPath);
            string type = Enum(Required(tool, "type", toolPath + ".type"), toolPath + ".type", "function", "mcp");
            if (type == "mcp")
            {
                throw Fail(ClientEventError.InvalidValue(toolPath + ".type", "Invalid value: 'mcp'. MCP tools are not supported by this server; supported values are: 'function'."));
            }

            string name = String(Required(tool, "name", toolPath + ".name"), toolPath + ".name");
            string? description = tool.TryGetProperty("description", out JsonElement d) ? NullableString(d, toolPath + ".description") : null;
            string? parameters = null;
            if (tool.TryGetProperty("parameters", out JsonElement p) && p.ValueKind != JsonValueKind.Null)
            {
                parameters = RawObject(p, toolPath + ".parameters");
            }

            tools.Add(new ToolDefinition(name, description, parameters));
        }

        return tools;
    }

    internal static (string Choice, string? Function) ReadToolChoice(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return (Enum(value, path, "auto", "none", "required"), null);
        }

        Object(value, path);
        string type = Enum(Required(value, "type", path + ".type"), path + ".type", "function", "mcp");
        if (type == "mcp")
        {
            throw Fail(ClientEventError.InvalidValue(path + ".type", "Invalid value: 'mcp'. MCP tools are not supported by this server; supported values are: 'function'."));
        }

        return ("function", String(Required(value, "name", path + ".name"), path + ".name"));
    }

    private static string? ReadTracing(JsonElement value, string path, string? current)
    {
        string? next = value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => "\"" + Enum(value, path, "auto") + "\"",
            JsonValueKind.Object => value.GetRawText(),
            _ => throw Fail(ClientEventError.InvalidType(path, "'auto', an object or null", Describe(value))),
        };

        // Tracing cannot be changed once enabled; re-sending the same value is fine (agents-js does it).
        if (current is not null && next != current)
        {
            throw Fail(ClientEventError.InvalidValue(path, "Tracing cannot be modified after it has been enabled."));
        }

        return next;
    }

    private static string ReadTruncation(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return "\"" + Enum(value, path, "auto", "disabled") + "\"";
        }

        Object(value, path);
        Enum(Required(value, "type", path + ".type"), path + ".type", "retention_ratio");
        return value.GetRawText();
    }

    private static string? ReadInclude(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        Array(value, path);
        int index = 0;
        foreach (JsonElement entry in value.EnumerateArray())
        {
            Enum(entry, $"{path}[{index++}]", "item.input_audio_transcription.logprobs");
        }

        return value.GetRawText();
    }

    private static string RawObject(JsonElement value, string path)
    {
        Object(value, path);
        return value.GetRawText();
    }
}
