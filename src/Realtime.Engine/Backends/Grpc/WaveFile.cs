using System.Buffers.Binary;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>Writes the 16-bit mono PCM WAV files that transcription backends read from the shared directory.</summary>
internal static class WaveFile
{
    public const int HeaderSize = 44;

    public static void WriteHeader(Span<byte> header, int sampleRate, int sampleCount)
    {
        var dataBytes = sampleCount * 2;
        "RIFF"u8.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header[4..], 36 + dataBytes);
        "WAVE"u8.CopyTo(header[8..]);
        "fmt "u8.CopyTo(header[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(header[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(header[20..], 1);
        BinaryPrimitives.WriteInt16LittleEndian(header[22..], 1);
        BinaryPrimitives.WriteInt32LittleEndian(header[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(header[28..], sampleRate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(header[32..], 2);
        BinaryPrimitives.WriteInt16LittleEndian(header[34..], 16);
        "data"u8.CopyTo(header[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(header[40..], dataBytes);
    }

    /// <summary>The whole file in memory (header + little-endian samples).</summary>
    public static byte[] Encode(ReadOnlySpan<short> samples, int sampleRate)
    {
        var bytes = new byte[HeaderSize + samples.Length * 2];
        WriteHeader(bytes, sampleRate, samples.Length);
        var data = bytes.AsSpan(HeaderSize);
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(data[(i * 2)..], samples[i]);
        }

        return bytes;
    }
}
