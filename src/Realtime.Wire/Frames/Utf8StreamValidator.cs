using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Realtime.Wire.Frames;

/// <summary>
/// Validates UTF-8 chunk by chunk (a text message may be split across frames and reads at any byte):
/// bulk checks with <see cref="Utf8Simd.IsValid"/>, and up to 3 bytes of an unfinished sequence carried over.
/// Invalid prefixes fail at once, as RFC 6455 §8.1 asks ("fail fast").
/// </summary>
public struct Utf8StreamValidator
{
    private uint _pending;
    private int _pendingCount;

    /// <summary>Checks the next chunk; <paramref name="isFinal"/> marks the end of the message.</summary>
    public bool Append(ReadOnlySpan<byte> chunk, bool isFinal)
    {
        if (_pendingCount > 0)
        {
            Span<byte> sequence = stackalloc byte[4];
            for (int k = 0; k < _pendingCount; k++)
            {
                sequence[k] = (byte)(_pending >> (k * 8));
            }

            int count = _pendingCount;
            while (true)
            {
                if (chunk.IsEmpty)
                {
                    Store(sequence[..count]);
                    return !isFinal;
                }

                sequence[count++] = chunk[0];
                chunk = chunk[1..];
                OperationStatus status = Rune.DecodeFromUtf8(sequence[..count], out _, out int used);
                if (status == OperationStatus.Done && used == count)
                {
                    _pendingCount = 0;
                    break;
                }

                if (status != OperationStatus.NeedMoreData)
                {
                    return false;
                }
            }
        }

        int tailStart = IncompleteTailStart(chunk);
        if (!Utf8Simd.IsValid(chunk[..tailStart]))
        {
            return false;
        }

        ReadOnlySpan<byte> tail = chunk[tailStart..];
        if (tail.IsEmpty)
        {
            return true;
        }

        if (isFinal || Rune.DecodeFromUtf8(tail, out _, out _) != OperationStatus.NeedMoreData)
        {
            return false;
        }

        Store(tail);
        return true;
    }

    /// <summary>Forgets any carried bytes (start of a new message).</summary>
    public void Reset() => _pendingCount = 0;

    private void Store(ReadOnlySpan<byte> bytes)
    {
        uint value = 0;
        for (int k = 0; k < bytes.Length; k++)
        {
            value |= (uint)bytes[k] << (k * 8);
        }

        _pending = value;
        _pendingCount = bytes.Length;
    }

    // Where a multi-byte sequence starts that the chunk does not finish (chunk.Length when none).
    private static int IncompleteTailStart(ReadOnlySpan<byte> chunk)
    {
        int stop = Math.Max(0, chunk.Length - 3);
        for (int i = chunk.Length - 1; i >= stop; i--)
        {
            byte b = chunk[i];
            if ((b & 0xC0) == 0x80)
            {
                continue;
            }

            int needed = b switch
            {
                >= 0xC2 and <= 0xDF => 2,
                >= 0xE0 and <= 0xEF => 3,
                >= 0xF0 and <= 0xF4 => 4,
                _ => 1,
            };
            return i + needed > chunk.Length ? i : chunk.Length;
        }

        return chunk.Length;
    }
}
