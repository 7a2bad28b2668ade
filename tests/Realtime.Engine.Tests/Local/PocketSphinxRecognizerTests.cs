using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Local;

namespace Realtime.Engine.Tests.Local;

public sealed class PocketSphinxRecognizerTests : IClassFixture<PocketSphinxRecognizerTests.Engine>
{
    private static readonly RecognitionOptions Options = new(null, "en", null);
    private readonly PocketSphinxRecognizer _recognizer;

    public PocketSphinxRecognizerTests(Engine engine) => _recognizer = engine.Recognizer;

    public sealed class Engine : IDisposable
    {
        public PocketSphinxRecognizer Recognizer { get; } = new(new PocketSphinxOptions { DecoderCount = 2 });

        public void Dispose() => Recognizer.Dispose();
    }

    [Fact]
    public async Task WeatherQuestionContainsItsKeyWords()
    {
        var (deltas, final) = await TranscribeAsync(_recognizer, "weather_question_16k.wav", TestContext.Current.CancellationToken);
        Console.WriteLine($"final: {final} | deltas: {string.Join("|", deltas)}");
        Assert.Contains("weather", final, StringComparison.Ordinal);
        Assert.Contains("paris", final, StringComparison.Ordinal);
    }

    internal static async Task<(List<string> Deltas, string Final)> TranscribeAsync(
        PocketSphinxRecognizer recognizer, string fixture, CancellationToken cancellationToken)
    {
        var audio = LocalWavFixture.Read16k(fixture);
        await using var stream = recognizer.Open(Options, cancellationToken);
        var reading = CollectAsync(stream, cancellationToken);
        for (var offset = 0; offset < audio.Length; offset += 1600)
        {
            stream.Write(audio.AsSpan(offset, Math.Min(1600, audio.Length - offset)));
        }

        stream.Complete();
        return await reading;
    }

    private static async Task<(List<string> Deltas, string Final)> CollectAsync(
        ISpeechRecognitionStream stream, CancellationToken cancellationToken)
    {
        var deltas = new List<string>();
        string? final = null;
        await foreach (var update in stream.ReadAsync(cancellationToken))
        {
            Assert.Null(final);
            if (update.IsFinal)
            {
                final = update.Text;
            }
            else
            {
                deltas.Add(update.Text);
            }
        }

        return (deltas, final ?? throw new InvalidOperationException("no final transcript"));
    }
}
