using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Realtime.Wire.Frames;

/// <summary>XOR masking (RFC 6455 §5.3), in place, 32/16 bytes at a time, with a rolling mask offset.</summary>
public static class FrameMask
{
    /// <summary>
    /// Applies <paramref name="mask"/> (the 4 key bytes as read from the wire, little-endian) to
    /// <paramref name="data"/>, starting at key byte <paramref name="offset"/>; returns the offset for the next chunk.
    /// </summary>
    public static int Apply(Span<byte> data, uint mask, int offset)
    {
        if (data.IsEmpty)
        {
            return offset;
        }

        // Rotate so that key byte `offset` lines up with data[0]; then the key repeats every 4 bytes.
        uint rolled = BitOperations.RotateRight(mask, (offset & 3) * 8);
        ref byte start = ref MemoryMarshal.GetReference(data);
        nuint length = (nuint)data.Length;
        nuint i = 0;

        if (Vector256.IsHardwareAccelerated && length >= (nuint)Vector256<byte>.Count)
        {
            Vector256<byte> key = Vector256.Create(rolled).AsByte();
            nuint last = length - (nuint)Vector256<byte>.Count;
            for (; i <= last; i += (nuint)Vector256<byte>.Count)
            {
                ref byte at = ref Unsafe.Add(ref start, i);
                Vector256.StoreUnsafe(Vector256.LoadUnsafe(ref at) ^ key, ref at);
            }
        }

        if (Vector128.IsHardwareAccelerated && length - i >= (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> key = Vector128.Create(rolled).AsByte();
            nuint last = length - (nuint)Vector128<byte>.Count;
            for (; i <= last; i += (nuint)Vector128<byte>.Count)
            {
                ref byte at = ref Unsafe.Add(ref start, i);
                Vector128.StoreUnsafe(Vector128.LoadUnsafe(ref at) ^ key, ref at);
            }
        }

        for (; i + 4 <= length; i += 4)
        {
            ref byte at = ref Unsafe.Add(ref start, i);
            Unsafe.WriteUnaligned(ref at, Unsafe.ReadUnaligned<uint>(ref at) ^ rolled);
        }

        // i is a multiple of 4 here, so the tail starts at key byte 0 of the rolled mask.
        for (int k = 0; i < length; i++, k++)
        {
            Unsafe.Add(ref start, i) ^= (byte)(rolled >> (k * 8));
        }

        return (offset + data.Length) & 3;
    }

    /// <summary>Unmasks a payload that may span several segments of writable pipe memory.</summary>
    public static void Apply(in ReadOnlySequence<byte> data, uint mask)
    {
        int offset = 0;
        foreach (ReadOnlyMemory<byte> segment in data)
        {
            offset = Apply(MemoryMarshal.AsMemory(segment).Span, mask, offset);
        }
    }
}
