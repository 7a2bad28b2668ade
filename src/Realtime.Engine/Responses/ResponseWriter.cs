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
        json.WriteStartObject("response");
        json.WriteString("object", "realtime.response");
        json.WriteString("id", run.Id);
        json.WriteString("status", run.Status switch
        {
            ResponseStatus.Completed => "completed",
            ResponseStatus.Cancelled => "cancelled",
            ResponseStatus.Incomplete => "incomplete",
            ResponseStatus.Failed => "failed",
            _ => "in_progress",
        });
        WriteStatusDetails(json, run);
        json.WriteStartArray("output");
        foreach (ConversationItem item in run.Output)
        {
            ItemWriter.Write(json, item, dialect, includeAudio: false);
        }

        json.WriteEndArray();
        json.WriteString("conversation_id", s.OutOfBand ? null : conversationId);
        if (dialect == Dialect.Ga)
        {
            json.WriteStartArray("output_modalities");
            json.WriteStringValue(s.AudioOutput ? "audio" : "text");
            json.WriteEndArray();
            json.WriteStartObject("audio");
            json.WriteStartObject("output");
            json.WritePropertyName("format");
            SessionWriter.WriteGaFormat(json, s.OutputFormat);
            json.WriteString("voice", s.Voice);
            json.WriteEndObject();
            json.WriteEndObject();
        }
        else
        {
            json.WriteStartArray("modalities");
            json.WriteStringValue("text");
            if (s.AudioOutput)
            {
                json.WriteStringValue("audio");
            }

            json.WriteEndArray();
            json.WriteString("voice", s.Voice);
            json.WriteString("output_audio_format", SessionWriter.BetaFormat(s.OutputFormat));
            json.WriteNumber("temperature", s.Temperature ?? 0.8);
        }

        SessionWriter.WriteMaxTokens(json, "max_output_tokens", s.MaxOutputTokens);
        json.WritePropertyName("metadata");
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
            json.WriteNull("usage");
        }

        json.WriteEndObject();
    }

    private static void WriteStatusDetails(Utf8JsonWriter json, ResponseRun run)
    {
        switch (run.Status)
        {
            case ResponseStatus.Cancelled:
            case ResponseStatus.Incomplete:
                json.WriteStartObject("status_details");
                json.WriteString("type", run.Status == ResponseStatus.Cancelled ? "cancelled" : "incomplete");
                json.WriteString("reason", run.StatusReason);
                json.WriteEndObject();
                break;
            case ResponseStatus.Failed:
                json.WriteStartObject("status_details");
                json.WriteString("type", "failed");
                json.WriteStartObject("error");
                json.WriteString("type", run.ErrorType);
                json.WriteString("code", run.ErrorCode);
                json.WriteString("message", run.ErrorMessage);
                json.WriteEndObject();
                json.WriteEndObject();
                break;
            default:
                json.WriteNull("status_details");
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
        json.WriteStartObject("usage");
        json.WriteNumber("total_tokens", input + text + audio);
        json.WriteNumber("input_tokens", input);
        json.WriteNumber("output_tokens", text + audio);
        json.WriteStartObject("input_token_details");
        json.WriteNumber("text_tokens", inputText);
        json.WriteNumber("audio_tokens", inputAudio);
        json.WriteNumber("image_tokens", 0);
        json.WriteNumber("cached_tokens", 0);
        json.WriteStartObject("cached_tokens_details");
        json.WriteNumber("text_tokens", 0);
        json.WriteNumber("audio_tokens", 0);
        json.WriteNumber("image_tokens", 0);
        json.WriteEndObject();
        json.WriteEndObject();
        json.WriteStartObject("output_token_details");
        json.WriteNumber("text_tokens", text);
        json.WriteNumber("audio_tokens", audio);
        json.WriteEndObject();
        json.WriteEndObject();
    }
}
