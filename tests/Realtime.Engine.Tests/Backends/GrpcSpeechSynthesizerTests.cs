using System.Diagnostics;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc.Protocol;
using static Realtime.Engine.Tests.Backends.BackendTestKit;

namespace Realtime.Engine.Tests.Backends;

public sealed class GrpcSpeechSynthesizerTests
{
    private const string Text = "one two three";

    [Theory]
    [InlineData("json-rate", Text)]
    [InlineData("wav-header", Text)]
    [InlineData("json-rate", Text + " [oddsplit]")]
    [InlineData("wav-header", Text + " [oddsplit]")]
    public async Task Both_stream_header_forms_and_odd_splits_give_identical_pcm(string voice, string text)
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        var tts = registry.GetSpeechSynthesizer(host.Uri, "kokoro");

        var (samples, rate, _) = await SynthesizeAsync(tts, text, voice);

        Assert.Equal(24_000, rate);
        Assert.Equal(FakeBackend.Speech(Text, 24_000), samples);
        var request = host.Backend.Last<TTSRequest>();
        Assert.Equal((text, voice, "kokoro", ""), (request.Text, request.Voice, request.Model, request.Dst));
    }

    [Fact]
    public async Task Rate_comes_from_the_stream_not_an_assumption()
    {
        await using var host = await FakeBackendHost.StartAsync(new FakeBackendOptions { TtsRate = 16_000 });
        using var registry = new BackendRegistry(FastOptions());
        var tts = registry.GetSpeechSynthesizer(host.Uri, "piper");

        var (samples, rate, _) = await SynthesizeAsync(tts, "hi there", "wav-header");

        Assert.Equal(16_000, rate);
        Assert.Equal(3200, samples.Length);
    }

    [Fact]
    public async Task A_stream_with_neither_header_form_is_raw_pcm_at_the_configured_rate()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        var tts = registry.GetSpeechSynthesizer(host.Uri, "kokoro");

        var (samples, rate, _) = await SynthesizeAsync(tts, Text, "no-header");

        Assert.Equal(24_000, rate);
        Assert.Equal(FakeBackend.Speech(Text, 24_000), samples);
    }

    [Fact]
    public async Task In_stream_error_message_becomes_an_exception()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        var tts = registry.GetSpeechSynthesizer(host.Uri, "voxcpm");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => SynthesizeAsync(tts, "one two [stream-error]", "json-rate"));

        Assert.Contains("Error: fake", e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Missing_TTSStream_falls_back_to_unary_TTS_through_the_shared_directory(bool goStyle)
    {
        await using var host = await FakeBackendHost.StartAsync(new FakeBackendOptions { TtsStreamUnimplemented = true, GoStyleUnimplemented = goStyle, TtsRate = 22_050 });
        var options = FastOptions();
        using var registry = new BackendRegistry(options);
        var tts = registry.GetSpeechSynthesizer(host.Uri, "piper");

        var first = await SynthesizeAsync(tts, Text);
        var second = await SynthesizeAsync(tts, Text);

        Assert.Equal(22_050, first.Rate);
        Assert.Equal(FakeBackend.Speech(Text, 22_050), first.Samples);
        Assert.Equal(first.Samples, second.Samples);
        // The capability is probed once and remembered.
        Assert.Single(host.Backend.Requests.OfType<TTSRequest>(), r => r.Dst.Length == 0);
        Assert.Equal(2, host.Backend.TtsFiles.Count);
        Assert.All(host.Backend.TtsFiles, path =>
        {
            Assert.StartsWith(options.SharedDirectory, path);
            Assert.False(File.Exists(path));
        });
    }

    [Fact]
    public async Task Cancelling_a_slow_stream_stops_the_backend()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        var tts = registry.GetSpeechSynthesizer(host.Uri, "kokoro");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var chunk in tts.SynthesizeAsync(new SynthesisRequest("a b c d e f g h [slow:200]", "json-rate", null, 1f), cts.Token))
            {
                await cts.CancelAsync();
            }
        });

        // Waited for up to half the call's deadline: the fake must see the cancel's RST_STREAM, not the deadline, and a
        // loaded 2-core machine can hold any thread for hundreds of milliseconds (speed is the benchmarks' business).
        var waited = Stopwatch.StartNew();
        while (!host.Backend.Cancelled && waited.Elapsed < FastOptions().CallTimeout / 2)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        Assert.True(host.Backend.Cancelled);
    }
}
