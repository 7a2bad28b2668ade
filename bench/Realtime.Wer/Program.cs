using Realtime.Engines.Local.PocketSphinx;
using Realtime.Engines.Local.Silero;
using Realtime.Wer;

// Word error rate of the built-in recognizer on every spoken fixture, as the server runs it (input conversion,
// Silero turn detection, live recognition from speech start), plus decoding cost per concurrent speaker.
string repoRoot = FindRepoRoot();
WerOptions options;
try
{
    options = WerOptions.Parse(args, repoRoot);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}

using var cancellation = new CancellationTokenSource(TimeSpan.FromMinutes(20));
PocketSphinxRecognizer Create(int decoders) => new(new PocketSphinxOptions { DecoderCount = decoders, ExtraArguments = options.PocketSphinxArguments });

IReadOnlyList<SpokenFixture> fixtures = SpokenFixture.LoadAll(options.Fixtures);
using var detector = new SileroSpeechDetector(options.SileroModel);
var rows = new List<FixtureResult>();
// One recognizer with one decoder for the whole run, as a lightly used server has: each turn meets whatever the
// previous one left behind (pocketsphinx keeps its live normalisation across utterances).
using (PocketSphinxRecognizer recognizer = Create(1))
{
    var replay = new SessionReplay(detector, recognizer, options.Paced);
    foreach (SpokenFixture fixture in fixtures)
    {
        List<TurnResult> turns = await replay.RunAsync(fixture, cancellation.Token);
        var row = new FixtureResult(fixture, turns);
        rows.Add(row);
        Console.WriteLine(row.Describe());
    }
}

var loads = new List<SpeakerLoad>();
float[] longest = fixtures.MaxBy(f => f.Seconds)!.Samples16k;
foreach (int speakers in options.Speakers)
{
    SpeakerLoad load = await SpeakerLoad.MeasureAsync(Create, speakers, longest, cancellation.Token);
    loads.Add(load);
    Console.WriteLine($"{speakers} concurrent speaker(s): {load.RealTimeFactor:F3} CPU-s per s of speech, {load.WallSeconds:F1} s wall, {load.ResidentBytesPerSpeaker / 1048576.0:F0} MB resident each");
}

string markdown = WerReport.Markdown(rows, loads, options);
Console.WriteLine();
Console.WriteLine(markdown);
if (options.Report != "none")
{
    Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Report))!);
    await File.WriteAllTextAsync(options.Report, markdown);
    Console.WriteLine("wrote " + options.Report);
}

return 0;

static string FindRepoRoot()
{
    for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
    {
        if (File.Exists(Path.Combine(dir, "Realtime.Fast.sln")))
        {
            return dir;
        }
    }

    return Directory.GetCurrentDirectory();
}
