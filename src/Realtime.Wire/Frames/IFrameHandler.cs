using System.Buffers;

namespace Realtime.Wire.Frames;

/// <summary>
/// Receives what <see cref="FrameReader"/> decodes. Implement on a struct (or sealed class) so the JIT
/// specializes the reader's generic loop. Payloads are valid only during the call.
/// </summary>
public interface IFrameHandler
{
    /// <summary>A complete data message (<see cref="FrameOpcode.Text"/> is already UTF-8 validated).</summary>
    void OnMessage(FrameOpcode opcode, in ReadOnlySequence<byte> payload);

    /// <summary>A ping; RFC 6455 §5.5.2 wants a pong with the same payload.</summary>
    void OnPing(ReadOnlySpan<byte> payload);

    /// <summary>A pong (answer to our keepalive ping, or unsolicited).</summary>
    void OnPong(ReadOnlySpan<byte> payload);
}
