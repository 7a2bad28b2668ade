using System.Text.Json;
using Realtime.Wire.Audio;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>Spells the session object per dialect and session type (spec §2.2, §6.1).</summary>
internal static class SessionWriter
{
    public static void Write(Utf8JsonWriter json, SessionConfig s, Dialect dialect)
    {
        json.WriteStartObject("session");
        if (dialect == Dialect.Ga)
        {
            WriteGa(json, s);
        }
        else
        {
            WriteBeta(json, s);
        }

        json.WriteEndObject();
    }

    private static void WriteGa(Utf8JsonWriter json, SessionConfig s)
    {
        json.WriteString("type", s.IsTranscription ? "transcription" : "realtime");
        json.WriteString("object", s.IsTranscription ? "realtime.transcription_session" : "realtime.session");
        json.WriteString("id", s.Id);
        if (!s.IsTranscription)
        {
            json.WriteString("model", s.Model);
            json.WriteStartArray("output_modalities");
            json.WriteStringValue(s.AudioOutput ? "audio" : "text");
            json.WriteEndArray();
            json.WriteString("instructions", s.Instructions);
        }

        json.WriteStartObject("audio");
        json.WriteStartObject("input");
        json.WritePropertyName("format");
        WriteGaFormat(json, s.InputFormat);
        WriteTranscription(json, "transcription", s.Transcription);
        WriteNoiseReduction(json, "noise_reduction", s.NoiseReduction);
        WriteTurnDetection(json, s.TurnDetection, !s.IsTranscription);
        json.WriteEndObject();
        if (!s.IsTranscription)
        {
            json.WriteStartObject("output");
            json.WritePropertyName("format");
            WriteGaFormat(json, s.OutputFormat);
            WriteVoice(json, s);
            json.WriteNumber("speed", s.Speed);
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
        json.WriteNumber("expires_at", s.ExpiresAt);
    }

    private static void WriteBeta(Utf8JsonWriter json, SessionConfig s)
    {
        json.WriteString("id", s.Id);
        json.WriteString("object", s.IsTranscription ? "realtime.transcription_session" : "realtime.session");
        if (!s.IsTranscription)
        {
            json.WriteString("model", s.Model);
            json.WriteStartArray("modalities");
            json.WriteStringValue("text");
            if (s.AudioOutput)
            {
                json.WriteStringValue("audio");
            }

            json.WriteEndArray();
            json.WriteString("instructions", s.Instructions);
            json.WriteString("voice", s.Voice);
        }

        json.WriteString("input_audio_format", BetaFormat(s.InputFormat));
        if (!s.IsTranscription)
        {
            json.WriteString("output_audio_format", BetaFormat(s.OutputFormat));
        }

        WriteTranscription(json, "input_audio_transcription", s.Transcription);
        WriteNoiseReduction(json, "input_audio_noise_reduction", s.NoiseReduction);
        WriteTurnDetection(json, s.TurnDetection, !s.IsTranscription);
        if (!s.IsTranscription)
        {
            WriteTools(json, s.Tools);
            WriteToolChoice(json, s);
            json.WriteNumber("temperature", s.Temperature);
            WriteMaxTokens(json, "max_response_output_tokens", s.MaxOutputTokens);
            json.WriteNumber("speed", s.Speed);
            WriteRaw(json, "tracing", s.TracingJson);
            WriteRaw(json, "prompt", s.PromptJson);
        }

        json.WriteNull("client_secret");
        WriteRaw(json, "include", s.IncludeJson);
        json.WriteNumber("expires_at", s.ExpiresAt);
    }

    public static void WriteGaFormat(Utf8JsonWriter json, AudioFormat format)
    {
        json.WriteStartObject();
        switch (format)
        {
            case AudioFormat.G711Ulaw: json.WriteString("type", "audio/pcmu"); break;
            case AudioFormat.G711Alaw: json.WriteString("type", "audio/pcma"); break;
            default:
                json.WriteString("type", "audio/pcm");
                json.WriteNumber("rate", 24000);
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
            json.WriteStartObject("voice");
            json.WriteString("id", s.Voice);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("voice", s.Voice);
        }
    }

    public static void WriteTools(Utf8JsonWriter json, IReadOnlyList<ToolDefinition> tools)
    {
        json.WriteStartArray("tools");
        foreach (ToolDefinition tool in tools)
        {
            json.WriteStartObject();
            json.WriteString("type", "function");
            json.WriteString("name", tool.Name);
            if (tool.Description is not null)
            {
                json.WriteString("description", tool.Description);
            }

            if (tool.ParametersJson is not null)
            {
                json.WritePropertyName("parameters");
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
            json.WriteStartObject("tool_choice");
            json.WriteString("type", "function");
            json.WriteString("name", s.ToolChoiceFunction);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("tool_choice", s.ToolChoice);
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
        json.WriteString("model", t.Model);
        json.WriteString("language", t.Language);
        json.WriteString("prompt", t.Prompt);
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
        json.WriteString("type", type);
        json.WriteEndObject();
    }

    private static void WriteTurnDetection(Utf8JsonWriter json, TurnDetectionConfig? t, bool responses)
    {
        if (t is null)
        {
            json.WriteNull("turn_detection");
            return;
        }

        json.WriteStartObject("turn_detection");
        json.WriteString("type", t.Semantic ? "semantic_vad" : "server_vad");
        if (t.Semantic)
        {
            json.WriteString("eagerness", t.Eagerness);
        }
        else
        {
            json.WriteNumber("threshold", t.Threshold);
            json.WriteNumber("prefix_padding_ms", t.PrefixPaddingMs);
            json.WriteNumber("silence_duration_ms", t.SilenceDurationMs);
            if (responses)
            {
                if (t.IdleTimeoutMs is int idle)
                {
                    json.WriteNumber("idle_timeout_ms", idle);
                }
                else
                {
                    json.WriteNull("idle_timeout_ms");
                }
            }
        }

        if (responses)
        {
            json.WriteBoolean("create_response", t.CreateResponse);
            json.WriteBoolean("interrupt_response", t.InterruptResponse);
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
