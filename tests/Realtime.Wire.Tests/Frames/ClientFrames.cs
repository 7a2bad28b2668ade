using System.Buffers.Binary;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

/// <summary>Builds client frames byte by byte, independently of the code under test.</summary>
internal static class ClientFrames
{
    public static byte[] Frame(FrameOpcode opcode, byte[] payload, bool fin = true, bool masked = true, byte rsv = 0, uint mask = 0x9A3C5E71, long? claimedLength = null)
    {
        long length = claimedLength ?? payload.Length;
        var bytes = new List<byte> { (byte)((fin ? 0x80 : 0) | rsv | (byte)opcode) };
        byte maskBit = masked ? (byte)0x80 : (byte)0;
        if (length <= 125)
        {
            bytes.Add((byte)(maskBit | length));
        }
        else if (length <= ushort.MaxValue)
        {
            bytes.Add((byte)(maskBit | 126));
            bytes.Add((byte)(length >> 8));
            bytes.Add((byte)length);
        }
        else
        {
            bytes.Add((byte)(maskBit | 127));
            var wide = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(wide, (ulong)length);
            bytes.AddRange(wide);
        }

        var key = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(key, mask);
        if (masked)
        {
            bytes.AddRange(key);
        }

        for (int i = 0; i < payload.Length; i++)
        {
            bytes.Add(masked ? (byte)(payload[i] ^ key[i % 4]) : payload[i]);
        }

        return [.. bytes];
    }

    public static byte[] Close(ushort code, byte[] reason) => Frame(FrameOpcode.Close, [(byte)(code >> 8), (byte)code, .. reason]);

    public static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
