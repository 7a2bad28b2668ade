using Realtime.Wire.Buffers;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>The audio of one turn as 16-bit samples, grown from the pool; shared by the file- and HTTP-based recognizers.</summary>
internal sealed class PcmTurnBuffer : IDisposable
{
    private short[] _samples = BufferPool<short>.Rent(16_000);
    private int _count;

    public ReadOnlySpan<short> Samples => _samples.AsSpan(0, _count);

    public void Append(ReadOnlySpan<float> samples)
    {
        if (_count + samples.Length > _samples.Length)
        {
            var bigger = BufferPool<short>.Rent(Math.Max(_samples.Length * 2, _count + samples.Length));
            _samples.AsSpan(0, _count).CopyTo(bigger);
            BufferPool<short>.Return(_samples);
            _samples = bigger;
        }

        var target = _samples.AsSpan(_count, samples.Length);
        for (var i = 0; i < samples.Length; i++)
        {
            var s = samples[i] * 32767f;
            target[i] = (short)Math.Clamp(s, -32768f, 32767f);
        }

        _count += samples.Length;
    }

    public void Dispose()
    {
        var samples = Interlocked.Exchange(ref _samples, []);
        if (samples.Length > 0)
        {
            BufferPool<short>.Return(samples);
        }

        _count = 0;
    }
}
