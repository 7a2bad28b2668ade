using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Realtime.Wire.Connections;

namespace Realtime.Host.Connections;

/// <summary>
/// Stands in for a session the server refuses after the upgrade (wrong key, unknown model): like the hosted
/// API (realtime-protocol.md §1.5) it sends one `error` event, then closes with the given status and the
/// reason `invalid_request_error.&lt;code&gt;` (or just `invalid_request_error` without a code).
/// </summary>
internal sealed class RejectedSession(IMessageOutput output, string? code, string message, ushort closeStatus, string type = "invalid_request_error") : IWebSocketSession
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public void OnOpen()
    {
        var json = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteString("event_id", "event_" + new string(RandomNumberGenerator.GetItems<char>(Alphanumerics, 21)));
            writer.WriteStartObject("error");
            writer.WriteString("type", type);
            if (code is null)
            {
                writer.WriteNull("code");
            }
            else
            {
                writer.WriteString("code", code);
            }

            writer.WriteString("message", message);
            writer.WriteNull("param");
            writer.WriteNull("event_id");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        output.SendText(json.WrittenSpan);
        output.Close(closeStatus, code is null ? type : type + "." + code);
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
}
