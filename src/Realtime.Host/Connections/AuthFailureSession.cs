using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Realtime.Wire.Connections;
using Realtime.Wire.Frames;
using Realtime.Wire.Http;

namespace Realtime.Host.Connections;

/// <summary>
/// Stands in for a session when the key is wrong or missing: like the hosted API (realtime-protocol.md §1.5)
/// it sends one `error` event and closes with 3000 right after the upgrade; no session is created.
/// </summary>
internal sealed class AuthFailureSession(IMessageOutput output, AuthOutcome outcome, string? presentedKey) : IWebSocketSession
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public void OnOpen()
    {
        bool wrongKey = outcome == AuthOutcome.Invalid;
        string message = wrongKey
            ? $"Incorrect API key provided: {Mask(presentedKey ?? string.Empty)}. You can find your API key at https://platform.openai.com/account/api-keys."
            : "Missing bearer or basic authentication in header";

        var json = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteString("event_id", NewEventId());
            writer.WriteStartObject("error");
            writer.WriteString("type", "invalid_request_error");
            if (wrongKey)
            {
                writer.WriteString("code", "invalid_api_key");
            }
            else
            {
                writer.WriteNull("code");
            }

            writer.WriteString("message", message);
            writer.WriteNull("param");
            writer.WriteNull("event_id");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        output.SendText(json.WrittenSpan);
        output.Close(CloseStatus.Unauthorized, wrongKey ? "invalid_request_error.invalid_api_key" : "invalid_request_error");
    }

    public void OnText(ReadOnlySequence<byte> message)
    {
    }

    public void OnBinary(ReadOnlySequence<byte> message)
    {
    }

    public void OnClosed(CloseReason reason)
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    /// <summary>Shows only enough of a key to recognize it: a short prefix and the last 4 characters.</summary>
    internal static string Mask(string key) =>
        key.Length <= 12 ? "***" : string.Concat(key.AsSpan(0, Math.Min(6, key.Length - 8)), "***", key.AsSpan(key.Length - 4));

    private static string NewEventId() => "event_" + new string(RandomNumberGenerator.GetItems<char>(Alphanumerics, 21));
}
