using Realtime.Engine.Backends;
using Realtime.Engines.Local.PocketSphinx;

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
    public async Task WeatherQuestionIsHeardWithItsFirstWordsOnly()
    {
        // A fresh decoder, so the result does not depend on what a shared one heard before (see the next tests).
        using var recognizer = new PocketSphinxRecognizer(new PocketSphinxOptions { DecoderCount = 1 });
        var (_, final) = await TranscribeAsync(recognizer, "weather_question_16k.wav", TestContext.Current.CancellationToken);

        // "What is the weather in Paris today?" -> measured "what is on whether we don't do it": 2 of 7 words
        // (README, bench/Realtime.Wer). "weather" comes out as "whether" (same phones in cmudict, the language model
        // picks the other) and "in paris today" is lost. This pins what the embedded engine really gets.
        var right = WordsRight("what is the weather in paris today", final);
        TestContext.Current.TestOutputHelper?.WriteLine($"\"{final}\": {right}/7 words right");
        Assert.StartsWith("what is", final, StringComparison.Ordinal);
        Assert.True(right >= 2, $"\"{final}\": {right}/7 words right");
    }

    [Fact]
    public async Task DisposingTheRecognizerMidUtteranceLetsTheStreamFinishAndRefusesNewOnes()
    {
        // At server stop an utterance can still be decoding: its decoder must outlive the pool (freeing it under
        // the decoding thread crashed the process), and the stream still ends with its transcript.
        var cancellationToken = TestContext.Current.CancellationToken;
        var recognizer = new PocketSphinxRecognizer(new PocketSphinxOptions { DecoderCount = 1 });
        var audio = LocalWavFixture.Read16k("weather_question_16k.wav");
        await using var stream = recognizer.Open(Options, cancellationToken);
        var enumerator = stream.ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        stream.Write(audio.AsSpan(0, audio.Length / 2));
        Assert.True(await enumerator.MoveNextAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60), cancellationToken));

        recognizer.Dispose();
        stream.Write(audio.AsSpan(audio.Length / 2));
        stream.Complete();
        string? final = null;
        while (await enumerator.MoveNextAsync())
        {
            final = enumerator.Current.IsFinal ? enumerator.Current.Text : final;
        }

        Assert.StartsWith("what is", final, StringComparison.Ordinal);
        await using var late = recognizer.Open(Options, cancellationToken);
        late.Complete();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () =>
        {
            await foreach (var _ in late.ReadAsync(cancellationToken))
            {
            }
        });
    }

    [Fact]
    public async Task DeltasArriveBeforeCompletionAndContinueEachOther()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var audio = LocalWavFixture.Read16k("long_passage.wav");
        await using var stream = _recognizer.Open(Options, cancellationToken);
        var enumerator = stream.ReadAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        for (var offset = 0; offset < audio.Length; offset += 1600)
        {
            stream.Write(audio.AsSpan(offset, Math.Min(1600, audio.Length - offset)));
        }

        // Decoding runs while audio is written: a delta shows up before Complete is called.
        var first = enumerator.MoveNextAsync().AsTask();
        Assert.True(await first.WaitAsync(TimeSpan.FromSeconds(60), cancellationToken));
        Assert.False(enumerator.Current.IsFinal);
        var deltas = new List<string> { enumerator.Current.Text };

        stream.Complete();
        string? final = null;
        while (await enumerator.MoveNextAsync())
        {
            if (enumerator.Current.IsFinal)
            {
                final = enumerator.Current.Text;
            }
            else
            {
                Assert.Null(final);
                deltas.Add(enumerator.Current.Text);
            }
        }

        await enumerator.DisposeAsync();
        Assert.NotNull(final);
        Assert.True(final.Split(' ').Length > 10, final);
        // At least the partial read before Complete; each later one continues the previous.
        Assert.NotEmpty(deltas);
        Assert.All(deltas.Skip(1), d => Assert.StartsWith(" ", d, StringComparison.Ordinal));
        Assert.All(deltas, d => Assert.False(string.IsNullOrWhiteSpace(d)));

        // The final pass re-decides the whole utterance (seen: "a" -> "the" as the first word), and how many
        // partials appear depends on how far behind the decoder is when it looks, so the partials are not compared
        // word for word with the final transcript; the end-to-end long_passage test checks deltas precede it.
    }

    [Fact]
    public async Task TwoConcurrentStreamsDecodeTheirOwnAudio()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var alone = await TranscribeAsync(_recognizer, "short_pause.wav", cancellationToken);
        var weatherAlone = await TranscribeAsync(_recognizer, "weather_question_16k.wav", cancellationToken);

        var both = await Task.WhenAll(
            Task.Run(() => TranscribeAsync(_recognizer, "short_pause.wav", cancellationToken), cancellationToken),
            Task.Run(() => TranscribeAsync(_recognizer, "weather_question_16k.wav", cancellationToken), cancellationToken));

        // Live cepstral mean normalization carries over from a decoder's previous utterance, so the exact
        // words vary with which pooled decoder a stream gets; what must hold is that each stream hears its own audio.
        Assert.StartsWith("i would like", both[0].Final, StringComparison.Ordinal);
        Assert.StartsWith("what is", both[1].Final, StringComparison.Ordinal);
        Assert.StartsWith("i would like", alone.Final, StringComparison.Ordinal);
        Assert.StartsWith("what is", weatherAlone.Final, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CancellingTheOpenTokenEndsReadingAndFreesTheDecoder()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var audio = LocalWavFixture.Read16k("long_passage.wav");
        var stream = _recognizer.Open(Options, cancellation.Token);
        stream.Write(audio.AsSpan(0, 16000));
        var reading = Task.Run(async () =>
        {
            await foreach (var update in stream.ReadAsync(cancellationToken))
            {
                Assert.False(update.IsFinal);
            }
        }, cancellationToken);

        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken));
        await stream.DisposeAsync();

        // Both pooled decoders are usable again afterwards (the cancelled one was returned).
        var results = await Task.WhenAll(
            TranscribeAsync(_recognizer, "weather_question_16k.wav", cancellationToken),
            TranscribeAsync(_recognizer, "weather_question_16k.wav", cancellationToken));
        Assert.StartsWith("what is", results[0].Final, StringComparison.Ordinal);
        Assert.StartsWith("what is", results[1].Final, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DisposingWithoutCompletingReturnsTheDecoder()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        for (var i = 0; i < 4; i++)
        {
            await using var stream = _recognizer.Open(Options, cancellationToken);
            stream.Write(new float[3200]);
        }

        var (_, final) = await TranscribeAsync(_recognizer, "weather_question_16k.wav", cancellationToken);
        Assert.StartsWith("what is", final, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WordErrorRateOnFixturesWithKnownText()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        (string Fixture, string Text)[] cases =
        [
            ("weather_question.wav", "what is the weather in paris today"),
            ("two_turns.wav", "hello there tell me a joke about computers"),
            ("short_pause.wav", "i would like a cup of tea please"),
        ];
        var right = 0;
        var words = 0;
        // A fresh recognizer with one decoder: pocketsphinx carries its live normalisation from one utterance to the
        // next, so a decoder shared with other tests hears the same audio differently.
        using var recognizer = new PocketSphinxRecognizer(new PocketSphinxOptions { DecoderCount = 1 });
        foreach (var (fixture, text) in cases)
        {
            var (_, final) = await TranscribeAsync(recognizer, fixture, cancellationToken);
            var fixtureRight = WordsRight(text, final);
            TestContext.Current.TestOutputHelper?.WriteLine($"{fixture}: \"{final}\" {fixtureRight}/{text.Split(' ').Length} words right");
            right += fixtureRight;
            words += text.Split(' ').Length;
        }

        TestContext.Current.TestOutputHelper?.WriteLine($"words right {right}/{words}");
        Console.WriteLine($"pocketsphinx words right {right}/{words}");
        // Measured: 5 of 23 ("what is", "i would like"; README has the full benchmark). One word of slack for decoder
        // timing; a wrong sample rate, format or model gives 0 or 1.
        Assert.True(right >= 4, $"words right {right}/{words}");
    }

    [Fact]
    public async Task WriteAllocatesNothingAfterWarmUp()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var audio = LocalWavFixture.Read16k("long_passage.wav");
        await using var stream = _recognizer.Open(Options, cancellationToken);
        for (var i = 0; i < 50; i++)
        {
            stream.Write(audio.AsSpan(i * 1600, 1600));
        }

        // Measured while the decoder is still busy with the 5 s just written (it runs at a fraction of real time):
        // the appends convert and enqueue into pooled buffers. Waking an idle decoder costs one thread-pool work
        // item (about 32 B), once per burst, not per append; that is not what this gate measures.
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 50; i < 60; i++)
        {
            stream.Write(audio.AsSpan(i * 1600, 1600));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public async Task MeasuresDecodingSpeedAndLatencyAfterSpeechEnds()
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        var audio = LocalWavFixture.Read16k("long_passage.wav");
        var cpuBefore = System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (_, final) = await TranscribeAsync(_recognizer, "long_passage.wav", cancellationToken);
        var decode = clock.Elapsed.TotalSeconds;
        var cpu = (System.Diagnostics.Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var realTimeFactor = decode / (audio.Length / 16000.0);

        // Speech end: the audio was streamed (here: written, then given time to be decoded as it would be
        // while the user speaks); what remains after Complete is the final pass.
        var weather = LocalWavFixture.Read16k("weather_question_16k.wav");
        await using var stream = _recognizer.Open(Options, cancellationToken);
        for (var offset = 0; offset < weather.Length; offset += 1600)
        {
            stream.Write(weather.AsSpan(offset, Math.Min(1600, weather.Length - offset)));
        }

        await Task.Delay(1000, cancellationToken);
        clock.Restart();
        stream.Complete();
        TimeSpan latency = default;
        await foreach (var update in stream.ReadAsync(cancellationToken))
        {
            if (update.IsFinal)
            {
                latency = clock.Elapsed;
            }
        }

        var line = $"pocketsphinx: long_passage decoded at {realTimeFactor:F3}x real time ({decode:F2} s wall, {cpu:F2} s process CPU for {audio.Length / 16000.0:F1} s); " +
            $"speech end to final transcript {latency.TotalMilliseconds:F0} ms";
        Console.WriteLine(line);
        TestContext.Current.TestOutputHelper?.WriteLine(line);
        // Speed is the WER benchmark's to judge (bench/), not a timed test's: on a loaded 2-core machine wall time says
        // more about the neighbours than about the decoder. What must hold anywhere: both streams end with a transcript.
        Assert.NotEmpty(final);
        Assert.NotEqual(TimeSpan.Zero, latency);
    }

    /// <summary>Reference words the hypothesis has in order (longest common word subsequence).</summary>
    internal static int WordsRight(string reference, string hypothesis)
    {
        var r = reference.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var h = hypothesis.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var table = new int[r.Length + 1, h.Length + 1];
        for (var i = 1; i <= r.Length; i++)
        {
            for (var j = 1; j <= h.Length; j++)
            {
                table[i, j] = r[i - 1] == h[j - 1] ? table[i - 1, j - 1] + 1 : Math.Max(table[i - 1, j], table[i, j - 1]);
            }
        }

        return table[r.Length, h.Length];
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
