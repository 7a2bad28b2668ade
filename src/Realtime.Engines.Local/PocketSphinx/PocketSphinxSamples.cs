using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Realtime.Engines.Local.PocketSphinx;

/// <summary>Float [-1, 1] to the 16-bit PCM pocketsphinx takes; runs for every written chunk, so it is vectorized.</summary>
internal static class PocketSphinxSamples
{
    public static void ToPcm16(ReadOnlySpan<float> source, Span<short> destination)
    {
        if (destination.Length < source.Length)
        {
            throw new ArgumentException("Destination is shorter than the source.", nameof(destination));
        }

        var i = 0;
        if (Vector256.IsHardwareAccelerated && source.Length >= 16)
        {
            ref var input = ref MemoryMarshal.GetReference(source);
            ref var output = ref MemoryMarshal.GetReference(destination);
            var low = Vector256.Create(-1f);
            var high = Vector256.Create(1f);
            var scale = Vector256.Create((float)short.MaxValue);
            for (; i <= source.Length - 16; i += 16)
            {
                var first = Vector256.Min(Vector256.Max(Vector256.LoadUnsafe(ref input, (nuint)i), low), high) * scale;
                var second = Vector256.Min(Vector256.Max(Vector256.LoadUnsafe(ref input, (nuint)(i + 8)), low), high) * scale;
                Vector256.Narrow(Vector256.ConvertToInt32(first), Vector256.ConvertToInt32(second))
                    .StoreUnsafe(ref output, (nuint)i);
            }
        }

        for (; i < source.Length; i++)
        {
            destination[i] = ToPcm16(source[i]);
        }
    }

    public static short ToPcm16(float sample) => (short)(Math.Clamp(sample, -1f, 1f) * short.MaxValue);
}
