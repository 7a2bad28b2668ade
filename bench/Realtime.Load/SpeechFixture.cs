using System.Buffers.Binary;
using System.Text;

namespace Realtime.Load;

/// <summary>
/// A 24 kHz pcm16 WAV fixture cut into 20 ms `input_audio_buffer.append` messages, encoded once and shared by every
/// session (so the tool spends its CPU on sockets, not on base64), plus where its speech ends.
/// </summary>
public sealed class SpeechFixture
{
    public const int Rate = 24_000;
    public const int ChunkMs = 20;
    private const int ChunkBytes = Rate / 1000 * ChunkMs * 2;

    // A 20 ms chunk whose RMS is above this (about -40 dBFS) counts as speech when locating the end of speech.
    private const double SpeechRms = 330;

    private SpeechFixture(string name, byte[][] chunks, int lastSpeechChunk)
    {
        Name = name;
        Chunks = chunks;
        LastSpeechChunk = lastSpeechChunk;
        Silence = Append(new byte[ChunkBytes]);
    }

    public string Name { get; }

    /// <summary>The fixture's append messages, one per 20 ms.</summary>
    public byte[][] Chunks { get; }

    /// <summary>Index of the last chunk holding speech: the "audio end" of a turn is when it was sent.</summary>
    public int LastSpeechChunk { get; }

    /// <summary>An append of 20 ms of digital silence.</summary>
    public byte[] Silence { get; }

    public static SpeechFixture Load(string path)
    {
        byte[] wav = File.ReadAllBytes(path);
        if (wav.Length < 44 || !wav.AsSpan(0, 4).SequenceEqual("RIFF"u8) || !wav.AsSpan(8, 4).SequenceEqual("WAVE"u8))
        {
            throw new InvalidDataException(path + " is not a WAV file");
        }

        int offset = 12;
        int rate = 0;
        int channels = 0;
        int bits = 0;
        ReadOnlySpan<byte> data = default;
        while (offset + 8 <= wav.Length)
        {
            ReadOnlySpan<byte> id = wav.AsSpan(offset, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(offset + 4));
            if (id.SequenceEqual("fmt "u8))
            {
                channels = BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(offset + 10));
                rate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(offset + 12));
                bits = BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(offset + 22));
            }
            else if (id.SequenceEqual("data"u8))
            {
                data = wav.AsSpan(offset + 8, Math.Min(size, wav.Length - offset - 8));
                break;
            }

            offset += 8 + size + (size & 1);
        }

        if (rate != Rate || channels != 1 || bits != 16)
        {
            throw new InvalidDataException($"{path}: need 24 kHz mono pcm16 (the /work/shared/audio *.wav fixtures), got {rate} Hz, {channels} ch, {bits} bit");
        }

        int count = data.Length / ChunkBytes;
        var chunks = new byte[count][];
        int lastSpeech = -1;
        for (int i = 0; i < count; i++)
        {
            ReadOnlySpan<byte> pcm = data.Slice(i * ChunkBytes, ChunkBytes);
            chunks[i] = Append(pcm);
            if (Rms(pcm) > SpeechRms)
            {
                lastSpeech = i;
            }
        }

        if (lastSpeech < 0)
        {
            throw new InvalidDataException(path + " holds no speech");
        }

        return new SpeechFixture(Path.GetFileName(path), chunks, lastSpeech);
    }

    private static byte[] Append(ReadOnlySpan<byte> pcm) =>
        Encoding.UTF8.GetBytes("{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + Convert.ToBase64String(pcm) + "\"}");

    private static double Rms(ReadOnlySpan<byte> pcm)
    {
        double sum = 0;
        for (int i = 0; i + 1 < pcm.Length; i += 2)
        {
            double s = BinaryPrimitives.ReadInt16LittleEndian(pcm[i..]);
            sum += s * s;
        }

        return Math.Sqrt(sum / (pcm.Length / 2));
    }
}
