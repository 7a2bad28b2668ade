using System.Globalization;
using System.Text;

namespace Realtime.Wer;

/// <summary>The benchmark's markdown: one row per fixture, totals, and the cost per concurrent speaker.</summary>
public static class WerReport
{
    public static string Markdown(IReadOnlyList<FixtureResult> rows, IReadOnlyList<SpeakerLoad> loads, WerOptions options)
    {
        var md = new StringBuilder();
        string Line(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
        md.AppendLine("## Built-in recognizer: words on the spoken fixtures (`bash scripts/wer.sh`)");
        md.AppendLine();
        md.AppendLine(Line($"`builtin:pocketsphinx`, {(options.Paced ? "audio paced at real time in 20 ms appends" : "audio fed as fast as possible")}, Silero turn detection with server_vad defaults, one decoder reused from fixture to fixture{(options.PocketSphinxArguments.Length > 0 ? ", extra flags `" + string.Join(' ', options.PocketSphinxArguments) + "`" : "")}; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores."));
        md.AppendLine("Words right = reference words matched after alignment; WER = (substitutions + deletions + insertions) / reference words; text normalised (case, punctuation, numbers).");
        md.AppendLine();
        md.AppendLine("| fixture | input | turns | final transcript | words right | WER | words right at speech_stopped | final after speech_stopped |");
        md.AppendLine("|---|---|---|---|---|---|---|---|");
        TranscriptScore known = default, knownPartial = default;
        foreach (FixtureResult row in rows)
        {
            TranscriptScore f = row.FinalScore, p = row.PartialScore;
            md.AppendLine(Line($"| {row.Fixture.Name} | {row.Fixture.Input} | {row.Turns.Count} | \"{row.Final}\" | {f.Hits}/{f.Words} ({f.WordsRight:P0}) | {f.ErrorRate:P0} | {p.Hits}/{p.Words} ({p.WordsRight:P0}) | {row.WorstFinalAfterStopMs:F0} ms |"));
            if (row.Fixture.Name != "long_passage.wav")
            {
                known += f;
                knownPartial += p;
            }
        }

        md.AppendLine(Line($"| **all but long_passage** (texts given) | | | | {known.Hits}/{known.Words} ({known.WordsRight:P0}) | {known.ErrorRate:P0} | {knownPartial.Hits}/{knownPartial.Words} ({knownPartial.WordsRight:P0}) | |"));
        md.AppendLine();
        md.AppendLine("long_passage's text is reconstructed (README of shared/audio does not give it): five pangrams, matched segment by segment against espeak-ng en-gb.");
        if (loads.Count > 0)
        {
            md.AppendLine();
            md.AppendLine("| concurrent speakers | CPU-s per s of speech (one speaker, one core) | wall time | resident memory per speaker |");
            md.AppendLine("|---|---|---|---|");
            foreach (SpeakerLoad load in loads)
            {
                md.AppendLine(Line($"| {load.Speakers} | {load.RealTimeFactor:F3} | {load.WallSeconds:F1} s for {load.AudioSeconds / load.Speakers:F1} s each | {load.ResidentBytesPerSpeaker / 1048576.0:F0} MB |"));
            }
        }

        return md.ToString();
    }
}
