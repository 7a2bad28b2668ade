using System.Text.Json;
using Realtime.Engine.Conversation;
using Realtime.Engine.Sessions;
using Realtime.Wire.Events;

namespace Realtime.Engine.Responses;

/// <summary>Writes the Response object (§6.3) per dialect, with usage (§6.4) once the response is done.</summary>
internal static class ResponseWriter
{
    public static void Write(Utf8JsonWriter json, ResponseRun run, string? conversationId, Dialect dialect, bool done)
    {
        ResponseSettings s = run.Settings;
        json.WriteStartObject("response"u8);
        json.WriteString("object"u8, "realtime.response"u8);
        json.WriteString("id"u8, run.Id);
        json.WriteString("status"u8, run.Status switch
        {
            ResponseStatus.Completed => "completed",
            ResponseStatus.Cancelled => "cancelled",
            ResponseStatus.Incomplete => "incomplete",
            ResponseStatus.Failed => "failed",
            _ => "in_progress",
        });
        WriteStatusDetails(json, run);
        json.WriteStartArray("output"u8);
        foreach (ConversationItem item in run.Output)
        {
            ItemWriter.Write(json, item, dialect, includeAudio: false);
        }

        json.WriteEndArray();
        json.WriteString("conversation_id"u8, s.OutOfBand ? null : conversationId);
        if (dialect == Dialect.Ga)
        {
            json.WriteStartArray("output_modalities"u8);
            json.WriteStringValue(s.AudioOutput ? "audio" : "text");
            json.WriteEndArray();
            json.WriteStartObject("audio"u8);
            json.WriteStartObject("output"u8);
            json.WritePropertyName("format"u8);
            SessionWriter.WriteGaFormat(json, s.OutputFormat);
            json.WriteString("voice"u8, s.Voice);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        else
        {
            json.WriteStartArray("modalities"u8);
            json.WriteStringValue("text"u8);
            if (s.AudioOutput)
            {
                json.WriteStringValue("audio"u8);
            }

            json.WriteEndArray();
            json.WriteString("voice"u8, s.Voice);
            json.WriteString("output_audio_format"u8, SessionWriter.BetaFormat(s.OutputFormat));
            json.WriteNumber("temperature"u8, s.Temperature ?? 0.8);
        }

        SessionWriter.WriteMaxTokens(json, "max_output_tokens", s.MaxOutputTokens);
        json.WritePropertyName("metadata"u8);
        if (s.MetadataJson is null)
        {
            json.WriteNullValue();
        }
        else
        {
            json.WriteRawValue(s.MetadataJson, skipInputValidation: true);
        }

        if (done)
        {
            WriteUsage(json, run);
        }
        else
        {
            json.WriteNull("usage"u8);
        }

        json.WriteEndObject();
    }

    private static void WriteStatusDetails(Utf8JsonWriter json, ResponseRun run)
    {
        switch (run.Status)
        {
            case ResponseStatus.Cancelled:
            case ResponseStatus.Incomplete:
                json.WriteStartObject("status_details"u8);
                json.WriteString("type"u8, run.Status == ResponseStatus.Cancelled ? "cancelled" : "incomplete");
                json.WriteString("reason"u8, run.StatusReason);
                json.WriteEndObject();
                break;
            case ResponseStatus.Failed:
                json.WriteStartObject("status_details"u8);
                json.WriteString("type"u8, "failed"u8);
                json.WriteStartObject("error"u8);
                json.WriteString("type"u8, run.ErrorType);
                json.WriteString("code"u8, run.ErrorCode);
                json.WriteString("message"u8, run.ErrorMessage);
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            default:
                json.WriteNull("status_details"u8);
                break;
        }
    }

    private static void WriteUsage(Utf8JsonWriter json, ResponseRun run)
    {
        int inputText = run.ReportedInputTokens ?? run.InputTokens;
        int inputAudio = run.InputAudioTokens;
        int input = inputText + inputAudio;
        int text = run.ReportedOutputTokens ?? run.OutputTextTokens;
        int audio = run.OutputAudioTokens;
        json.WriteStartObject("usage"u8);
        json.WriteNumber("total_tokens"u8, input + text + audio);
        json.WriteNumber("input_tokens"u8, input);
        json.WriteNumber("output_tokens"u8, text + audio);
        json.WriteStartObject("input_token_details"u8);
        json.WriteNumber("text_tokens"u8, inputText);
        json.WriteNumber("audio_tokens"u8, inputAudio);
        json.WriteNumber("image_tokens"u8, 0);
        json.WriteNumber("cached_tokens"u8, 0);
        json.WriteStartObject("cached_tokens_details"u8);
        json.WriteNumber("text_tokens"u8, 0);
        json.WriteNumber("audio_tokens"u8, 0);
        json.WriteNumber("image_tokens"u8, 0);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("output_token_details"u8);
        json.WriteNumber("text_tokens"u8, text);
        json.WriteNumber("audio_tokens"u8, audio);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
