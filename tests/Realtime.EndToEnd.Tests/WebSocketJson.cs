using System.Net.WebSockets;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests;

/// <summary>Reads whole messages from a ClientWebSocket as JSON, the one way every test client here does it.</summary>
internal static class WebSocketJson
{
    /// <summary>The next message, reassembled from its frames and parsed; null when the server closed.</summary>
    public static async Task<JsonElement?> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 16];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return JsonDocument.Parse(message.ToArray()).RootElement.Clone();
            }
        }
    }
}
