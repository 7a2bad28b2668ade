using System.Text.Json;
using Realtime.Wire.Audio;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>Spells the session object per dialect and session type (spec §2.2, §6.1).</summary>
internal static class SessionWriter
{
    /// <param name="id">The session's id and <paramref name="expiresAt"/> its end: the session's own, not its
    /// configuration's (sessions of a model share their first configuration).</param>
    public static void Write(Utf8JsonWriter json, SessionConfig s, Dialect dialect, string id, long expiresAt)
    {
        json.WriteStartObject("session"u8);
        if (dialect == Dialect.Ga)
        {
            WriteGa(json, s, id, expiresAt);
        }
        else
        {
            WriteBeta(json, s, id, expiresAt);
        }

        json.WriteEndObject();
    }

    private static void WriteGa(Utf8JsonWriter json, SessionConfig s, string id, long expiresAt)
    {
        json.WriteString("type"u8, s.IsTranscription ? "transcription" : "realtime");
        json.WriteString("object"u8, s.IsTranscription ? "realtime.transcription_session" : "realtime.session");
        json.WriteString("id"u8, id);
        if (!s.IsTranscription)
        {
            json.WriteString("model"u8, s.Model);
            json.WriteStartArray("output_modalities"u8);
            json.WriteStringValue(s.AudioOutput ? "audio" : "text");
            json.WriteEndArray();
            json.WriteString("instructions"u8, s.Instructions);
        }

        json.WriteStartObject("audio"u8);
        json.WriteStartObject("input"u8);
        json.WritePropertyName("format"u8);
        WriteGaFormat(json, s.InputFormat);
        WriteTranscription(json, "transcription", s.Transcription);
        WriteNoiseReduction(json, "noise_reduction", s.NoiseReduction);
        WriteTurnDetection(json, s.TurnDetection, !s.IsTranscription);
        json.WriteEndObject();
        if (!s.IsTranscription)
        {
            json.WriteStartObject("output"u8);
            json.WritePropertyName("format"u8);
            WriteGaFormat(json, s.OutputFormat);
            WriteVoice(json, s);
            json.WriteNumber("speed"u8, s.Speed);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        if (!s.IsTranscription)
        {
            WriteTools(json, s.Tools);
            WriteToolChoice(json, s);
            WriteMaxTokens(json, "max_output_tokens", s.MaxOutputTokens);
            WriteRaw(json, "tracing", s.TracingJson);
            WriteRaw(json, "truncation", s.TruncationJson);
            WriteRaw(json, "prompt", s.PromptJson);
        }

        WriteRaw(json, "include", s.IncludeJson);
        json.WriteNumber("expires_at"u8, expiresAt);
    }

    private static void WriteBeta(Utf8JsonWriter json, SessionConfig s, string id, long expiresAt)
    {
        json.WriteString("id"u8, id);
        json.WriteString("object"u8, s.IsTranscription ? "realtime.transcription_session" : "realtime.session");
        if (!s.IsTranscription)
        {
            json.WriteString("model"u8, s.Model);
            json.WriteStartArray("modalities"u8);
            json.WriteStringValue("text"u8);
            if (s.AudioOutput)
            {
                json.WriteStringValue("audio"u8);
            }

            json.WriteEndArray();
            json.WriteString("instructions"u8, s.Instructions);
            json.WriteString("voice"u8, s.Voice);
        }

        json.WriteString("input_audio_format"u8, BetaFormat(s.InputFormat));
        if (!s.IsTranscription)
        {
            json.WriteString("output_audio_format"u8, BetaFormat(s.OutputFormat));
        }

        WriteTranscription(json, "input_audio_transcription", s.Transcription);
        WriteNoiseReduction(json, "input_audio_noise_reduction", s.NoiseReduction);
        WriteTurnDetection(json, s.TurnDetection, !s.IsTranscription);
        if (!s.IsTranscription)
        {
            WriteTools(json, s.Tools);
            WriteToolChoice(json, s);
            json.WriteNumber("temperature"u8, s.Temperature);
            WriteMaxTokens(json, "max_response_output_tokens", s.MaxOutputTokens);
            json.WriteNumber("speed"u8, s.Speed);
            WriteRaw(json, "tracing", s.TracingJson);
            WriteRaw(json, "prompt", s.PromptJson);
        }

        json.WriteNull("client_secret"u8);
        WriteRaw(json, "include", s.IncludeJson);
        json.WriteNumber("expires_at"u8, expiresAt);
    }

    public static void WriteGaFormat(Utf8JsonWriter json, AudioFormat format)
    {
        json.WriteStartObject();
        switch (format)
        {
            case AudioFormat.G711Ulaw: json.WriteString("type"u8, "audio/pcmu"u8); break;
            case AudioFormat.G711Alaw: json.WriteString("type"u8, "audio/pcma"u8); break;
            default:
                json.WriteString("type"u8, "audio/pcm"u8);
                json.WriteNumber("rate"u8, 24000);
                break;
        }

        json.WriteEndObject();
    }

    public static string BetaFormat(AudioFormat format) => format switch
    {
        AudioFormat.G711Ulaw => "g711_ulaw",
        AudioFormat.G711Alaw => "g711_alaw",
        _ => "pcm16",
    };

    public static void WriteVoice(Utf8JsonWriter json, SessionConfig s)
    {
        if (s.VoiceIsCustom)
        {
            json.WriteStartObject("voice"u8);
            json.WriteString("id"u8, s.Voice);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("voice"u8, s.Voice);
        }
    }

    public static void WriteTools(Utf8JsonWriter json, IReadOnlyList<ToolDefinition> tools)
    {
        json.WriteStartArray("tools"u8);
        foreach (ToolDefinition tool in tools)
        {
            json.WriteStartObject();
            json.WriteString("type"u8, "function"u8);
            json.WriteString("name"u8, tool.Name);
            if (tool.Description is not null)
            {
                json.WriteString("description"u8, tool.Description);
            }

            if (tool.ParametersJson is not null)
            {
                json.WritePropertyName("parameters"u8);
                json.WriteRawValue(tool.ParametersJson, skipInputValidation: true);
            }

            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    public static void WriteToolChoice(Utf8JsonWriter json, SessionConfig s)
    {
        if (s.ToolChoice == "function")
        {
            json.WriteStartObject("tool_choice"u8);
            json.WriteString("type"u8, "function"u8);
            json.WriteString("name"u8, s.ToolChoiceFunction);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("tool_choice"u8, s.ToolChoice);
        }
    }

    public static void WriteMaxTokens(Utf8JsonWriter json, string name, int? max)
    {
        if (max is int value)
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteString(name, "inf");
        }
    }

    private static void WriteTranscription(Utf8JsonWriter json, string name, TranscriptionConfig? t)
    {
        if (t is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteString("model"u8, t.Model);
        json.WriteString("language"u8, t.Language);
        json.WriteString("prompt"u8, t.Prompt);
        json.WriteEndObject();
    }

    private static void WriteNoiseReduction(Utf8JsonWriter json, string name, string? type)
    {
        if (type is null)
        {
            json.WriteNull(name);
            return;
        }

        json.WriteStartObject(name);
        json.WriteString("type"u8, type);
        json.WriteEndObject();
    }

    private static void WriteTurnDetection(Utf8JsonWriter json, TurnDetectionConfig? t, bool responses)
    {
        if (t is null)
        {
            json.WriteNull("turn_detection"u8);
            return;
        }

        json.WriteStartObject("turn_detection"u8);
        json.WriteString("type"u8, t.Semantic ? "semantic_vad" : "server_vad");
        if (t.Semantic)
        {
            json.WriteString("eagerness"u8, t.Eagerness);
        }
        else
        {
            json.WriteNumber("threshold"u8, t.Threshold);
            json.WriteNumber("prefix_padding_ms"u8, t.PrefixPaddingMs);
            json.WriteNumber("silence_duration_ms"u8, t.SilenceDurationMs);
            if (responses)
            {
                if (t.IdleTimeoutMs is int idle)
                {
                    json.WriteNumber("idle_timeout_ms"u8, idle);
                }
                else
                {
                    json.WriteNull("idle_timeout_ms"u8);
                }
            }
        }

        if (responses)
        {
            json.WriteBoolean("create_response"u8, t.CreateResponse);
            json.WriteBoolean("interrupt_response"u8, t.InterruptResponse);
        }

        json.WriteEndObject();
    }

    private static void WriteRaw(Utf8JsonWriter json, string name, string? raw)
    {
        json.WritePropertyName(name);
        if (raw is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(raw, skipInputValidation: true);
        }
    }
}
