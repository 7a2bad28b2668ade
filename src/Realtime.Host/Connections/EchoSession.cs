using System.Buffers;
using Realtime.Wire.Buffers;
using Realtime.Wire.Connections;

namespace Realtime.Host.Connections;

/// <summary>Echoes text messages; ignores binary ones. A diagnostic stand-in for the Engine session.</summary>
internal sealed class EchoSession(IMessageOutput output) : IWebSocketSession
{
    public void OnOpen()
    {
    }

    public void OnText(ReadOnlySequence<byte> message)
    {
        if (message.IsSingleSegment)
        {
            output.SendText(message.FirstSpan);
            return;
        }

        byte[] copy = BufferPool<byte>.Rent((int)message.Length);
        message.CopyTo(copy);
        output.SendText(copy.AsSpan(0, (int)message.Length));
        BufferPool<byte>.Return(copy);
    }

    public void OnBinary(ReadOnlySequence<byte> message)
    {
    }

    public void OnClosed(CloseReason reason)
    {
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
