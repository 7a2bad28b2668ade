using System.Buffers;

namespace Realtime.Wire.Connections;

/// <summary>
/// What a WebSocket connection delivers its messages to. The Engine's realtime session implements it;
/// tests use an echo implementation. Calls come from the connection's single read loop, one at a time.
/// </summary>
public interface IWebSocketSession : IAsyncDisposable
{
    /// <summary>Called once, after the 101 response is written and before the first message.</summary>
    void OnOpen();

    /// <summary>A complete, UTF-8 validated text message. The bytes are valid only during the call.</summary>
    void OnText(ReadOnlySequence<byte> message);

    /// <summary>A complete binary message. The bytes are valid only during the call.</summary>
    void OnBinary(ReadOnlySequence<byte> message);

    /// <summary>The connection is closing or gone; no further calls follow (except DisposeAsync).</summary>
    void OnClosed(CloseReason reason);
}
