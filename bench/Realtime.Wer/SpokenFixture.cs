using System.Buffers.Binary;
using Realtime.Engine.Audio;
using Realtime.Wire.Audio;

namespace Realtime.Wer;

/// <summary>
/// A spoken fixture of ../shared/audio with the words it holds, decoded once to the 16 kHz floats the session
/// feeds to turn detection and recognition (through <see cref="InputAudioConverter"/>, as the server does).
/// </summary>
public sealed class SpokenFixture
{
    private SpokenFixture(string name, string reference, string input, float[] samples16k)
    {
        Name = name;
        Reference = reference;
        Input = input;
        Samples16k = samples16k;
    }

    public string Name { get; }

    /// <summary>What is said, as written (normalised when scored).</summary>
    public string Reference { get; }

    /// <summary>How the audio reaches the recognizer, for the report.</summary>
    public string Input { get; }

    public float[] Samples16k { get; }

    public double Seconds => Samples16k.Length / 16_000.0;

    /// <summary>Every spoken fixture and its text (shared/audio/README.md; the long passage's text is reconstructed, see README).</summary>
    public static IReadOnlyList<SpokenFixture> LoadAll(string directory)
    {
        const string Weather = "What is the weather in Paris today?";
        return
        [
            Load(directory, "weather_question.wav", Weather),
            Load(directory, "weather_question_16k.wav", Weather),
            Load(directory, "weather_question_8k.ulaw", Weather),
            Load(directory, "weather_question_8k.alaw", Weather),
            Load(directory, "two_turns.wav", "Hello there. Tell me a joke about computers."),
            Load(directory, "short_pause.wav", "I would like a cup of tea, please."),
            Load(directory, "long_passage.wav", LongPassage),
        ];
    }

    /// <summary>
    /// Not given in shared/audio/README.md ("a long read passage, en-gb voice"): reconstructed. Its six speech
    /// segments match espeak-ng en-gb's rendering of these pangrams segment for segment at one constant rate ratio.
    /// </summary>
    public const string LongPassage =
        "The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor jugs. " +
        "How vexingly quick daft zebras jump! Sphinx of black quartz, judge my vow. The five boxing wizards jump quickly.";

    public static SpokenFixture Load(string directory, string name, string reference)
    {
        byte[] bytes = File.ReadAllBytes(Path.Combine(directory, name));
        if (name.EndsWith(".ulaw", StringComparison.Ordinal) || name.EndsWith(".alaw", StringComparison.Ordinal))
        {
            AudioFormat format = name.EndsWith(".ulaw", StringComparison.Ordinal) ? AudioFormat.G711Ulaw : AudioFormat.G711Alaw;
            return new SpokenFixture(name, reference, format == AudioFormat.G711Ulaw ? "audio/pcmu 8 kHz" : "audio/pcma 8 kHz", Convert(format, bytes));
        }

        (int rate, ReadOnlyMemory<byte> pcm) = WavData(name, bytes);
        if (rate == 16_000)
        {
            // The 16 kHz path: the rate the recognizer takes, fed without conversion.
            var samples = new float[pcm.Length / 2];
            Pcm16.ToFloat(pcm.Span, samples);
            return new SpokenFixture(name, reference, "16 kHz direct", samples);
        }

        if (rate != AudioFormat.Pcm16.SampleRate())
        {
            throw new InvalidDataException($"{name}: {rate} Hz is neither the session rate (24 kHz) nor 16 kHz");
        }

        return new SpokenFixture(name, reference, "audio/pcm 24 kHz", Convert(AudioFormat.Pcm16, pcm.ToArray()));
    }

    private static float[] Convert(AudioFormat format, byte[] encoded)
    {
        var converter = new InputAudioConverter(format);
        var output = new float[InputAudioConverter.MaxOutputSamples(encoded.Length, format)];
        int written = converter.Convert(encoded, output);
        return output.AsSpan(0, written).ToArray();
    }

    private static (int Rate, ReadOnlyMemory<byte> Pcm) WavData(string name, byte[] wav)
    {
        int offset = 12;
        int rate = 0;
        while (offset + 8 <= wav.Length)
        {
            string id = System.Text.Encoding.ASCII.GetString(wav, offset, 4);
            int size = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(offset + 4));
            if (id == "fmt ")
            {
                rate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(offset + 12));
            }
            else if (id == "data")
            {
                return (rate, wav.AsMemory(offset + 8, Math.Min(size, wav.Length - offset - 8)));
            }

            offset += 8 + size + (size & 1);
        }

        throw new InvalidDataException(name + ": no data chunk");
    }
}
