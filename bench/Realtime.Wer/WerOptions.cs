namespace Realtime.Wer;

/// <summary>Command line of the benchmark; every flag is optional.</summary>
public sealed record WerOptions(string Fixtures, string Report, string SileroModel, bool Paced, int[] Speakers, string[] PocketSphinxArguments)
{
    public const string Usage =
        "usage: Realtime.Wer [--fixtures DIR] [--report FILE|none] [--silero FILE] [--fast] [--speakers 1,2,4|none] [--ps-arg FLAG VALUE]...\n" +
        "  --fast     feed audio as fast as possible (transcripts stay the same up to decoder timing; latency is then meaningless)\n" +
        "  --ps-arg   an extra pocketsphinx flag for trying settings, e.g. --ps-arg -lw 4 (repeatable)";

    public static WerOptions Parse(string[] args, string repoRoot)
    {
        string fixtures = Path.GetFullPath(Path.Combine(repoRoot, "..", "shared", "audio"));
        if (!Directory.Exists(fixtures))
        {
            fixtures = "/work/shared/audio";
        }

        string report = Path.Combine(repoRoot, "bench", "results", "wer.md");
        string silero = Path.Combine(repoRoot, "models", "silero_vad_v5.onnx");
        bool paced = true;
        int[] speakers = [1, 2, 4];
        var extra = new List<string>();
        for (int i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--fixtures": fixtures = Next(); break;
                case "--report": report = Next(); break;
                case "--silero": silero = Next(); break;
                case "--fast": paced = false; break;
                case "--speakers":
                    string list = Next();
                    speakers = list == "none" ? [] : [.. list.Split(',').Select(s => int.Parse(s, System.Globalization.CultureInfo.InvariantCulture))];
                    break;
                case "--ps-arg":
                    extra.Add(Next());
                    extra.Add(Next());
                    break;
                default: throw new ArgumentException($"unknown argument {args[i]}\n{Usage}");
            }
        }

        return new WerOptions(fixtures, report, silero, paced, speakers, [.. extra]);
    }
}
