using System.Text;
using System.Text.Json;

namespace Realtime.Host.Observability;

/// <summary>The error codes the server sends, as fixed metric labels (anything else is "other").</summary>
internal static class ErrorCodes
{
    private static readonly string[] Known =
    [
        "invalid_json", "invalid_value", "invalid_event", "invalid_request", "unknown_parameter", "missing_required_parameter",
        "invalid_type", "input_audio_buffer_commit_empty", "conversation_already_has_active_response",
        "response_cancel_not_active", "item_retrieve_invalid_item_id", "item_delete_invalid_item_id",
        "item_truncate_invalid_item_id", "item_truncate_invalid_content_index", "cannot_update_voice",
        "invalid_api_key", "model_not_found", "rate_limit_exceeded", "server_error", "session_expired", "transcription_failed",
        "decimal_above_max_value", "decimal_below_min_value", "integer_above_max_value", "integer_below_min_value",
    ];

    private static readonly byte[][] KnownUtf8 = Array.ConvertAll(Known, Encoding.UTF8.GetBytes);

    public static string Name(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return EventTypeNames.Other;
        }

        ReadOnlySpan<byte> value = reader.ValueSpan;
        for (int i = 0; i < KnownUtf8.Length; i++)
        {
            if (value.SequenceEqual(KnownUtf8[i]))
            {
                return Known[i];
            }
        }

        return EventTypeNames.Other;
    }
}
