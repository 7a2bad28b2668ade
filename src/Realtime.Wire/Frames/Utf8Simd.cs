using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Text.Unicode;

namespace Realtime.Wire.Frames;

/// <summary>
/// UTF-8 validation 32 (AVX2) or 16 bytes at a time with table lookups (the published Keiser–Lemire method, "Validating UTF-8 in
/// less than one instruction per byte", 2021): every error a two-byte window can show (too short, too long, overlong,
/// surrogate, above U+10FFFF, stray continuation) is a bit in three 16-entry tables indexed by the high and low nibble
/// of the previous byte and the high nibble of the current one; their AND is non-zero exactly at an error, and a
/// saturating subtraction finds where a third or fourth byte must be a continuation. Text frames are mostly
/// ASCII JSON, but the ones that are not (names, transcripts in any language) made the runtime's scalar
/// multi-byte path the largest cost of reading a big frame; this keeps them at memory speed.
/// Same answer as <see cref="Utf8.IsValid(ReadOnlySpan{byte})"/> for every input (tested differentially).
/// </summary>
public static class Utf8Simd
{
    private const byte TooShort = 1 << 0;
    private const byte TooLong = 1 << 1;
    private const byte Overlong3 = 1 << 2;
    private const byte TooLarge = 1 << 3;
    private const byte Surrogate = 1 << 4;
    private const byte Overlong2 = 1 << 5;
    private const byte TooLarge1000 = 1 << 6;
    private const byte Overlong4 = 1 << 6;
    private const byte TwoConts = 1 << 7;
    private const byte Carry = TooShort | TooLong | TwoConts;

    /// <summary>Whether <paramref name="utf8"/> is well-formed UTF-8 as a whole (no sequence left unfinished).</summary>
    public static bool IsValid(ReadOnlySpan<byte> utf8)
    {
        if (!Ssse3.IsSupported || utf8.Length < Vector128<byte>.Count)
        {
            return Utf8.IsValid(utf8);
        }

        // Indexed by the high nibble of the previous byte.
        Vector128<byte> byte1High = Vector128.Create(
            TooLong, TooLong, TooLong, TooLong, TooLong, TooLong, TooLong, TooLong, // 0xxx: ASCII
            TwoConts, TwoConts, TwoConts, TwoConts, // 10xx: continuation
            TooShort | Overlong2, // 1100: two-byte lead, C0/C1 overlong
            TooShort, // 1101: two-byte lead
            TooShort | Overlong3 | Surrogate, // 1110: three-byte lead
            TooShort | TooLarge | TooLarge1000 | Overlong4); // 1111: four-byte lead (or F5+)

        // Indexed by the low nibble of the previous byte.
        Vector128<byte> byte1Low = Vector128.Create(
            Carry | Overlong3 | Overlong2 | Overlong4, // xxxx0000
            Carry | Overlong2, // xxxx0001
            Carry,
            Carry,
            Carry | TooLarge, // xxxx0100: F4
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000 | Surrogate, // xxxx1101: ED
            Carry | TooLarge | TooLarge1000,
            Carry | TooLarge | TooLarge1000);

        // Indexed by the high nibble of the current byte.
        Vector128<byte> byte2High = Vector128.Create(
            TooShort, TooShort, TooShort, TooShort, TooShort, TooShort, TooShort, TooShort, // ASCII after a lead
            TooLong | Overlong2 | TwoConts | Overlong3 | TooLarge1000 | Overlong4, // 1000
            TooLong | Overlong2 | TwoConts | Overlong3 | TooLarge, // 1001
            TooLong | Overlong2 | TwoConts | Surrogate | TooLarge, // 1010
            TooLong | Overlong2 | TwoConts | Surrogate | TooLarge, // 1011
            TooShort, TooShort, TooShort, TooShort); // a lead where a continuation was due

        ref byte start = ref MemoryMarshal.GetReference(utf8);
        nuint length = (nuint)utf8.Length;
        Vector128<byte> previous = Vector128<byte>.Zero;
        Vector128<byte> error = Vector128<byte>.Zero;
        nuint i = 0;
        if (Avx2.IsSupported && length >= (nuint)Vector256<byte>.Count)
        {
            // 32 bytes a step: the same tables in both 128-bit lanes (the shuffles look up per lane), and the bytes
            // before each lane taken from the lane before it. Half the steps of the 16-byte loop on text that is not
            // ASCII, and one test per 32 bytes on text that is.
            Vector256<byte> previous256 = Vector256<byte>.Zero;
            Vector256<byte> error256 = Vector256<byte>.Zero;
            Vector256<byte> high = Vector256.Create(byte1High, byte1High);
            Vector256<byte> lowTable = Vector256.Create(byte1Low, byte1Low);
            Vector256<byte> next = Vector256.Create(byte2High, byte2High);
            for (; i + (nuint)Vector256<byte>.Count <= length; i += (nuint)Vector256<byte>.Count)
            {
                Vector256<byte> input = Vector256.LoadUnsafe(ref start, i);
                error256 |= Check(input, previous256, high, lowTable, next);
                previous256 = input;
            }

            error = error256.GetLower() | error256.GetUpper();
            previous = previous256.GetUpper();
        }

        for (; i + (nuint)Vector128<byte>.Count <= length; i += (nuint)Vector128<byte>.Count)
        {
            Vector128<byte> input = Vector128.LoadUnsafe(ref start, i);
            error |= Check(input, previous, byte1High, byte1Low, byte2High);
            previous = input;
        }

        if (i < length)
        {
            // The last partial block, padded with NULs (ASCII): an unfinished sequence then reads as too short.
            Vector128<byte> last = Vector128<byte>.Zero;
            Unsafe.CopyBlockUnaligned(ref Unsafe.As<Vector128<byte>, byte>(ref last), ref Unsafe.Add(ref start, i), (uint)(length - i));
            error |= Check(last, previous, byte1High, byte1Low, byte2High);
            previous = last;
        }

        error |= Unfinished(previous);
        return error == Vector128<byte>.Zero;
    }

    // Non-zero where a lead byte in the last three positions needs more bytes than the block has left.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Unfinished(Vector128<byte> block) =>
        Sse2.SubtractSaturate(block, Vector128.Create(
            (byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xEF, 0xDF, 0xBF));

    // As Unfinished, for the last three bytes of a 32-byte block.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Unfinished(Vector256<byte> block) =>
        Avx2.SubtractSaturate(block, Vector256.Create(
            (byte)0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xEF, 0xDF, 0xBF));

    /// <summary>As the 16-byte check, on 32 bytes: each lane's preceding bytes come from the lane before it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> Check(Vector256<byte> input, Vector256<byte> previous, Vector256<byte> byte1High, Vector256<byte> byte1Low, Vector256<byte> byte2High)
    {
        if (input.ExtractMostSignificantBits() == 0)
        {
            return Unfinished(previous);
        }

        // Lower lane: the previous block's upper lane; upper lane: this block's lower lane.
        Vector256<byte> before = Avx2.Permute2x128(previous, input, 0x21);
        Vector256<byte> low = Vector256.Create((byte)0x0F);
        Vector256<byte> prev1 = Avx2.AlignRight(input, before, 15);
        Vector256<byte> special =
            Avx2.Shuffle(byte1High, Vector256.ShiftRightLogical(prev1.AsUInt16(), 4).AsByte() & low) &
            Avx2.Shuffle(byte1Low, prev1 & low) &
            Avx2.Shuffle(byte2High, Vector256.ShiftRightLogical(input.AsUInt16(), 4).AsByte() & low);
        Vector256<byte> prev2 = Avx2.AlignRight(input, before, 14);
        Vector256<byte> prev3 = Avx2.AlignRight(input, before, 13);
        Vector256<byte> mustContinue = Avx2.SubtractSaturate(prev2, Vector256.Create((byte)(0xE0 - 0x80))) |
            Avx2.SubtractSaturate(prev3, Vector256.Create((byte)(0xF0 - 0x80)));
        return (mustContinue & Vector256.Create((byte)0x80)) ^ special;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<byte> Check(Vector128<byte> input, Vector128<byte> previous, Vector128<byte> byte1High, Vector128<byte> byte1Low, Vector128<byte> byte2High)
    {
        if (input.ExtractMostSignificantBits() == 0)
        {
            // ASCII: valid by itself, invalid only if the block before left a sequence unfinished.
            return Unfinished(previous);
        }

        Vector128<byte> low = Vector128.Create((byte)0x0F);
        Vector128<byte> prev1 = Ssse3.AlignRight(input, previous, 15);
        Vector128<byte> special =
            Ssse3.Shuffle(byte1High, Vector128.ShiftRightLogical(prev1.AsUInt16(), 4).AsByte() & low) &
            Ssse3.Shuffle(byte1Low, prev1 & low) &
            Ssse3.Shuffle(byte2High, Vector128.ShiftRightLogical(input.AsUInt16(), 4).AsByte() & low);

        // After a three- or four-byte lead, the second and third byte after it must be continuations (0x80 in special).
        Vector128<byte> prev2 = Ssse3.AlignRight(input, previous, 14);
        Vector128<byte> prev3 = Ssse3.AlignRight(input, previous, 13);
        Vector128<byte> mustContinue = Sse2.SubtractSaturate(prev2, Vector128.Create((byte)(0xE0 - 0x80))) |
            Sse2.SubtractSaturate(prev3, Vector128.Create((byte)(0xF0 - 0x80)));
        return (mustContinue & Vector128.Create((byte)0x80)) ^ special;
    }
}
