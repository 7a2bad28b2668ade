using System.Buffers;
using Realtime.Wire.Buffers;

namespace Realtime.Wire.Connections;

/// <summary>
/// A growable <see cref="IBufferWriter{T}"/> over one rented array; <see cref="Reset"/> returns the array,
/// so a connection between bursts holds no buffer. Not thread-safe.
/// </summary>
internal sealed class PooledBufferWriter : IBufferWriter<byte>
{
    private byte[]? _buffer;
    private int _written;

    public int WrittenCount => _written;

    public ReadOnlySpan<byte> WrittenSpan => _buffer is null ? [] : _buffer.AsSpan(0, _written);

    public void Advance(int count) => _written += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsMemory(_written);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _buffer.AsSpan(_written);
    }

    /// <summary>
    /// Empties the writer for the next message, keeping its array unless it has grown past
    /// <paramref name="keepUpTo"/> bytes (a rare huge message is not held on to).
    /// </summary>
    public void Rewind(int keepUpTo)
    {
        if (_buffer is not null && _buffer.Length > keepUpTo)
        {
            Reset();
            return;
        }

        _written = 0;
    }

    public void Reset()
    {
        if (_buffer is not null)
        {
            BufferPool<byte>.Return(_buffer);
            _buffer = null;
        }

        _written = 0;
    }

    private void Grow(int sizeHint)
    {
        int needed = _written + Math.Max(sizeHint, 1);
        if (_buffer is not null && _buffer.Length >= needed)
        {
            return;
        }

        byte[] bigger = BufferPool<byte>.Rent(Math.Max(needed, Math.Max(4096, (_buffer?.Length ?? 0) * 2)));
        if (_buffer is not null)
        {
            _buffer.AsSpan(0, _written).CopyTo(bigger);
            BufferPool<byte>.Return(_buffer);
        }

        _buffer = bigger;
    }
}
