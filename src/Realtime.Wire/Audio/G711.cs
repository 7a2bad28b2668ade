namespace Realtime.Wire.Audio;

/// <summary>
/// ITU-T G.711 µ-law and A-law companding, span-based and table-driven. µ-law quantizes the top 14 bits of a
/// 16-bit sample and A-law the top 13, so a lookup indexed by the shifted sample is exact and branch-free.
/// </summary>
public static class G711
{
    private const float ToFloatScale = 1f / 32768f;

    private static readonly byte[] MuLawEncodeTable = BuildMuLawEncodeTable();
    private static readonly byte[] ALawEncodeTable = BuildALawEncodeTable();
    private static readonly short[] MuLawDecodeTable = BuildDecodeTable(MuLawToLinear);
    private static readonly short[] ALawDecodeTable = BuildDecodeTable(ALawToLinear);
    private static readonly float[] MuLawDecodeFloatTable = BuildFloatTable(MuLawDecodeTable);
    private static readonly float[] ALawDecodeFloatTable = BuildFloatTable(ALawDecodeTable);

    public static byte EncodeMuLaw(short sample) => MuLawEncodeTable[(sample >> 2) & 0x3FFF];

    public static byte EncodeALaw(short sample) => ALawEncodeTable[(sample >> 3) & 0x1FFF];

    public static short DecodeMuLaw(byte code) => MuLawDecodeTable[code];

    public static short DecodeALaw(byte code) => ALawDecodeTable[code];

    public static void EncodeMuLaw(ReadOnlySpan<short> pcm, Span<byte> destination) => Encode(pcm, destination, MuLawEncodeTable, 2, 0x3FFF);

    public static void EncodeALaw(ReadOnlySpan<short> pcm, Span<byte> destination) => Encode(pcm, destination, ALawEncodeTable, 3, 0x1FFF);

    public static void DecodeMuLaw(ReadOnlySpan<byte> encoded, Span<short> destination) => Decode(encoded, destination, MuLawDecodeTable);

    public static void DecodeALaw(ReadOnlySpan<byte> encoded, Span<short> destination) => Decode(encoded, destination, ALawDecodeTable);

    /// <summary>Decodes straight to float in [-1, 1] (the VAD/STT input), saving an intermediate PCM16 pass.</summary>
    public static void DecodeMuLaw(ReadOnlySpan<byte> encoded, Span<float> destination) => Decode(encoded, destination, MuLawDecodeFloatTable);

    public static void DecodeALaw(ReadOnlySpan<byte> encoded, Span<float> destination) => Decode(encoded, destination, ALawDecodeFloatTable);

    private static void Encode(ReadOnlySpan<short> pcm, Span<byte> destination, byte[] table, int shift, int mask)
    {
        destination = destination[..pcm.Length];
        ref byte tableStart = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(table);
        for (int i = 0; i < pcm.Length; i++)
        {
            // The mask keeps the index inside the table, so the unchecked read is safe.
            destination[i] = System.Runtime.CompilerServices.Unsafe.Add(ref tableStart, (pcm[i] >> shift) & mask);
        }
    }

    private static void Decode<T>(ReadOnlySpan<byte> encoded, Span<T> destination, T[] table)
    {
        destination = destination[..encoded.Length];
        ref T tableStart = ref System.Runtime.InteropServices.MemoryMarshal.GetArrayDataReference(table);
        for (int i = 0; i < encoded.Length; i++)
        {
            destination[i] = System.Runtime.CompilerServices.Unsafe.Add(ref tableStart, encoded[i]);
        }
    }

    // Reference codecs below run once at type initialization to fill the tables.
    private static byte[] BuildMuLawEncodeTable()
    {
        var table = new byte[1 << 14];
        for (int index = 0; index < table.Length; index++)
        {
            int value = index >= 1 << 13 ? index - (1 << 14) : index; // 14-bit two's complement
            table[index] = LinearToMuLaw(value);
        }

        return table;
    }

    private static byte[] BuildALawEncodeTable()
    {
        var table = new byte[1 << 13];
        for (int index = 0; index < table.Length; index++)
        {
            int value = index >= 1 << 12 ? index - (1 << 13) : index; // 13-bit two's complement
            table[index] = LinearToALaw(value);
        }

        return table;
    }

    private static short[] BuildDecodeTable(Func<byte, short> decode)
    {
        var table = new short[256];
        for (int code = 0; code < 256; code++)
        {
            table[code] = decode((byte)code);
        }

        return table;
    }

    private static float[] BuildFloatTable(short[] pcm)
    {
        var table = new float[pcm.Length];
        for (int i = 0; i < pcm.Length; i++)
        {
            table[i] = pcm[i] * ToFloatScale;
        }

        return table;
    }

    /// <summary>14-bit linear magnitude to µ-law: segment = position of the highest bit after biasing by 33.</summary>
    private static byte LinearToMuLaw(int value14)
    {
        const int Bias = 33;
        const int Clip = 8159;
        int signMask = value14 < 0 ? 0x7F : 0xFF;
        int magnitude = Math.Min(Math.Abs(value14), Clip) + Bias;
        int segment = 0;
        while (segment < 8 && magnitude > (0x3F << segment) + ((1 << segment) - 1))
        {
            segment++;
        }

        if (segment >= 8)
        {
            return (byte)(0x7F ^ signMask);
        }

        int code = (segment << 4) | ((magnitude >> (segment + 1)) & 0x0F);
        return (byte)(code ^ signMask);
    }

    private static short MuLawToLinear(byte code)
    {
        const int Bias = 0x84;
        int inverted = ~code & 0xFF;
        int magnitude = (((inverted & 0x0F) << 3) + Bias) << ((inverted >> 4) & 0x07);
        return (short)((inverted & 0x80) != 0 ? Bias - magnitude : magnitude - Bias);
    }

    /// <summary>13-bit linear to A-law; negative values use one's complement magnitude per the standard.</summary>
    private static byte LinearToALaw(int value13)
    {
        int signMask;
        int magnitude;
        if (value13 >= 0)
        {
            signMask = 0xD5;
            magnitude = value13;
        }
        else
        {
            signMask = 0x55;
            magnitude = -value13 - 1;
        }

        int segment = 0;
        while (segment < 8 && magnitude > (0x20 << segment) - 1)
        {
            segment++;
        }

        if (segment >= 8)
        {
            return (byte)(0x7F ^ signMask);
        }

        int mantissa = segment < 2 ? (magnitude >> 1) & 0x0F : (magnitude >> segment) & 0x0F;
        return (byte)(((segment << 4) | mantissa) ^ signMask);
    }

    private static short ALawToLinear(byte code)
    {
        int value = code ^ 0x55;
        int magnitude = (value & 0x0F) << 4;
        int segment = (value >> 4) & 0x07;
        magnitude = segment switch
        {
            0 => magnitude + 8,
            1 => magnitude + 0x108,
            _ => (magnitude + 0x108) << (segment - 1),
        };
        return (short)((value & 0x80) != 0 ? magnitude : -magnitude);
    }
}
