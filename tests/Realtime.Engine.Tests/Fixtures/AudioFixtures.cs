using System.Buffers.Binary;
using System.Text;

namespace Realtime.Engine.Tests.Fixtures;

/// <summary>Locates the shared test audio (repo/../shared/audio) and the Silero model (repo/models), and reads WAV files.</summary>
public static class AudioFixtures
{
    private static readonly Lazy<string> Root = new(FindRepoRoot);

    public static string RepoRoot => Root.Value;

    public static string Path(string name) => System.IO.Path.GetFullPath(System.IO.Path.Combine(RepoRoot, "..", "shared", "audio", name));

    public static string SileroModelPath => System.IO.Path.Combine(RepoRoot, "models", "silero_vad_v5.onnx");

    /// <summary>Reads a PCM16 mono WAV, walking the RIFF chunks rather than assuming a 44-byte header.</summary>
    public static (int SampleRate, byte[] Pcm) ReadWav(string name)
    {
        byte[] file = File.ReadAllBytes(Path(name));
        if (Encoding.ASCII.GetString(file, 0, 4) != "RIFF" || Encoding.ASCII.GetString(file, 8, 4) != "WAVE")
        {
            throw new InvalidDataException($"{name}: not a RIFF/WAVE file");
        }

        int sampleRate = 0;
        int offset = 12;
        while (offset + 8 <= file.Length)
        {
            string id = Encoding.ASCII.GetString(file, offset, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(offset + 4));
            var body = file.AsSpan(offset + 8, Math.Min(size, file.Length - offset - 8));
            if (id == "fmt ")
            {
                int formatTag = BinaryPrimitives.ReadUInt16LittleEndian(body);
                int channels = BinaryPrimitives.ReadUInt16LittleEndian(body[2..]);
                sampleRate = BinaryPrimitives.ReadInt32LittleEndian(body[4..]);
                int bits = BinaryPrimitives.ReadUInt16LittleEndian(body[14..]);
                if (formatTag != 1 || channels != 1 || bits != 16)
                {
                    throw new InvalidDataException($"{name}: expected PCM16 mono, got format {formatTag}, {channels} ch, {bits} bits");
                }
            }
            else if (id == "data")
            {
                return (sampleRate, body.ToArray());
            }

            offset += 8 + size + (size & 1);
        }

        throw new InvalidDataException($"{name}: no data chunk");
    }

    public static byte[] ReadRaw(string name) => File.ReadAllBytes(Path(name));

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "Realtime.Fast.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException("Realtime.Fast.sln not found above " + AppContext.BaseDirectory);
    }
}
