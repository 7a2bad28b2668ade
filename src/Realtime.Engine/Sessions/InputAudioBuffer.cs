using Realtime.Wire.Buffers;

namespace Realtime.Engine.Sessions;

/// <summary>Appended input audio waiting for a commit: one pooled buffer that grows by doubling, bounded by a cap.</summary>
internal sealed class InputAudioBuffer : IDisposable
{
    private readonly int _cap;
    private byte[] _buffer = [];

    public InputAudioBuffer(int cap) => _cap = cap;

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>False when the cap would be exceeded (nothing is appended then).</summary>
    public bool TryAppend(ReadOnlySpan<byte> audio)
    {
        if ((long)Length + audio.Length > _cap)
        {
            return false;
        }

        if (Length + audio.Length > _buffer.Length)
        {
            byte[] bigger = BufferPool<byte>.Rent(Math.Max(Length + audio.Length, Math.Min(_cap, Math.Max(64 * 1024, _buffer.Length * 2))));
            _buffer.AsSpan(0, Length).CopyTo(bigger);
            if (_buffer.Length > 0)
            {
                BufferPool<byte>.Return(_buffer);
            }

            _buffer = bigger;
        }

        audio.CopyTo(_buffer.AsSpan(Length));
        Length += audio.Length;
        return true;
    }

    public void Clear() => Length = 0;

    /// <summary>Drops the first <paramref name="bytes"/> (a VAD commit took them); the rest moves to the front.</summary>
    public void Consume(int bytes)
    {
        bytes = Math.Clamp(bytes, 0, Length);
        _buffer.AsSpan(bytes, Length - bytes).CopyTo(_buffer);
        Length -= bytes;
    }

    public void Dispose()
    {
        if (_buffer.Length > 0)
        {
            BufferPool<byte>.Return(_buffer);
            _buffer = [];
        }
    }
}
