using System.Buffers;
using System.Buffers.Binary;

namespace Realtime.Wire.Frames;

/// <summary>Writes unmasked server frames (RFC 6455 §5.2) with the shortest of the three length encodings.</summary>
public static class FrameWriter
{
    /// <summary>The largest header a server frame needs (2 + 8 bytes; no mask).</summary>
    public const int MaxHeaderLength = 10;

    /// <summary>Header length for a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static int HeaderLength(long payloadLength) => payloadLength switch
    {
        <= 125 => 2,
        <= ushort.MaxValue => 4,
        _ => 10,
    };

    /// <summary>Writes a frame header into <paramref name="destination"/>; returns its length.</summary>
    public static int WriteHeader(Span<byte> destination, FrameOpcode opcode, bool fin, long payloadLength)
    {
        destination[0] = (byte)((fin ? 0x80 : 0) | (byte)opcode);
        if (payloadLength <= 125)
        {
            destination[1] = (byte)payloadLength;
            return 2;
        }

        if (payloadLength <= ushort.MaxValue)
        {
            destination[1] = 126;
            BinaryPrimitives.WriteUInt16BigEndian(destination[2..], (ushort)payloadLength);
            return 4;
        }

        destination[1] = 127;
        BinaryPrimitives.WriteUInt64BigEndian(destination[2..], (ulong)payloadLength);
        return 10;
    }

    /// <summary>Bytes <see cref="WriteMessage"/> produces for a payload, including fragment headers.</summary>
    public static long MessageLength(long payloadLength, int fragmentBytes)
    {
        if (payloadLength <= fragmentBytes)
        {
            return HeaderLength(payloadLength) + payloadLength;
        }

        long full = payloadLength / fragmentBytes;
        long rest = payloadLength % fragmentBytes;
        return (full * HeaderLength(fragmentBytes)) + fragmentBytes * full + (rest > 0 ? HeaderLength(rest) + rest : 0);
    }

    /// <summary>
    /// Writes a whole message; payloads longer than <paramref name="fragmentBytes"/> become a first frame plus
    /// continuation frames, so no single frame exceeds what strict clients accept.
    /// </summary>
    public static void WriteMessage(IBufferWriter<byte> output, FrameOpcode opcode, ReadOnlySpan<byte> payload, int fragmentBytes)
    {
        FrameOpcode frameOpcode = opcode;
        do
        {
            int length = Math.Min(payload.Length, fragmentBytes);
            bool fin = length == payload.Length;
            Span<byte> span = output.GetSpan(MaxHeaderLength + length);
            int header = WriteHeader(span, frameOpcode, fin, length);
            payload[..length].CopyTo(span[header..]);
            output.Advance(header + length);
            payload = payload[length..];
            frameOpcode = FrameOpcode.Continuation;
        }
        while (!payload.IsEmpty);
    }

    /// <summary>Writes a close frame with a status code and a reason cut to the 123 bytes a control frame allows.</summary>
    public static void WriteClose(IBufferWriter<byte> output, ushort status, ReadOnlySpan<byte> utf8Reason)
    {
        if (utf8Reason.Length > 123)
        {
            // Cut on a character boundary so the peer's UTF-8 check of the reason still passes.
            int cut = 123;
            while (cut > 0 && (utf8Reason[cut] & 0xC0) == 0x80)
            {
                cut--;
            }

            utf8Reason = utf8Reason[..cut];
        }

        Span<byte> span = output.GetSpan(2 + 2 + utf8Reason.Length);
        int header = WriteHeader(span, FrameOpcode.Close, fin: true, 2 + utf8Reason.Length);
        BinaryPrimitives.WriteUInt16BigEndian(span[header..], status);
        utf8Reason.CopyTo(span[(header + 2)..]);
        output.Advance(header + 2 + utf8Reason.Length);
    }
}
