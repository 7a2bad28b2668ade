using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.InteropServices;

namespace Realtime.Wire.Audio;

/// <summary>Signed 16-bit little-endian PCM: byte/sample/float conversions used on every audio chunk.</summary>
public static class Pcm16
{
    private const float ToFloatScale = 1f / 32768f;

    /// <summary>Reads little-endian samples; <paramref name="bytes"/> must have an even length.</summary>
    public static void ToSamples(ReadOnlySpan<byte> bytes, Span<short> destination)
    {
        var source = MemoryMarshal.Cast<byte, short>(bytes);
        if (BitConverter.IsLittleEndian)
        {
            source.CopyTo(destination);
        }
        else
        {
            BinaryPrimitives.ReverseEndianness(source, destination);
        }
    }

    /// <summary>Writes little-endian bytes (2 per sample).</summary>
    public static void ToBytes(ReadOnlySpan<short> samples, Span<byte> destination)
    {
        var target = MemoryMarshal.Cast<byte, short>(destination[..(samples.Length * 2)]);
        if (BitConverter.IsLittleEndian)
        {
            samples.CopyTo(target);
        }
        else
        {
            BinaryPrimitives.ReverseEndianness(samples, target);
        }
    }

    /// <summary>Little-endian PCM16 bytes to float in [-1, 1); <paramref name="bytes"/> must have an even length.</summary>
    public static void ToFloat(ReadOnlySpan<byte> bytes, Span<float> destination)
    {
        if (!BitConverter.IsLittleEndian)
        {
            for (int i = 0; i < bytes.Length / 2; i++)
            {
                destination[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(i * 2)..]) * ToFloatScale;
            }

            return;
        }

        ToFloat(MemoryMarshal.Cast<byte, short>(bytes), destination);
    }

    public static void ToFloat(ReadOnlySpan<short> samples, Span<float> destination)
    {
        destination = destination[..samples.Length];
        int i = 0;
        if (Vector.IsHardwareAccelerated && samples.Length >= Vector<short>.Count)
        {
            var scale = new Vector<float>(ToFloatScale);
            var sourceVectors = MemoryMarshal.Cast<short, Vector<short>>(samples);
            var targetVectors = MemoryMarshal.Cast<float, Vector<float>>(destination);
            for (int v = 0; v < sourceVectors.Length; v++)
            {
                Vector.Widen(sourceVectors[v], out Vector<int> low, out Vector<int> high);
                targetVectors[v * 2] = Vector.ConvertToSingle(low) * scale;
                targetVectors[(v * 2) + 1] = Vector.ConvertToSingle(high) * scale;
            }

            i = sourceVectors.Length * Vector<short>.Count;
        }

        for (; i < samples.Length; i++)
        {
            destination[i] = samples[i] * ToFloatScale;
        }
    }

    /// <summary>Float in [-1, 1] to PCM16, rounded to nearest (ties to even) and saturated (resampler overshoot must not wrap).</summary>
    public static void FromFloat(ReadOnlySpan<float> samples, Span<short> destination)
    {
        destination = destination[..samples.Length];
        int i = 0;
        if (Vector.IsHardwareAccelerated && samples.Length >= Vector<short>.Count)
        {
            var scale = new Vector<float>(32768f);
            var high = new Vector<float>(short.MaxValue);
            var low = new Vector<float>(short.MinValue);
            var sourceVectors = MemoryMarshal.Cast<float, Vector<float>>(samples);
            var targetVectors = MemoryMarshal.Cast<short, Vector<short>>(destination);
            for (int v = 0; v < targetVectors.Length; v++)
            {
                // Clamped before conversion, so narrowing int -> short cannot wrap.
                var first = Vector.ConvertToInt32(Vector.Min(Vector.Max(Vector.Round(sourceVectors[v * 2] * scale), low), high));
                var second = Vector.ConvertToInt32(Vector.Min(Vector.Max(Vector.Round(sourceVectors[(v * 2) + 1] * scale), low), high));
                targetVectors[v] = Vector.Narrow(first, second);
            }

            i = targetVectors.Length * Vector<short>.Count;
        }

        for (; i < samples.Length; i++)
        {
            float scaled = MathF.Round(samples[i] * 32768f);
            destination[i] = (short)Math.Clamp(scaled, short.MinValue, short.MaxValue);
        }
    }
}
