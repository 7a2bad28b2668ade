using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc.Protocol;
using static Realtime.Engine.Tests.Backends.BackendTestKit;

namespace Realtime.Engine.Tests.Backends;

public sealed class GrpcSpeechRecognizerTests
{
    [Fact]
    public async Task Writes_a_16k_mono_wav_streams_deltas_then_final_and_deletes_the_file()
    {
        await using var host = await FakeBackendHost.StartAsync();
        var options = FastOptions();
        using var registry = new BackendRegistry(options);
        var stt = registry.GetSpeechRecognizer(host.Uri, "whisper");

        var updates = await TranscribeAsync(stt, Sine(16_000), new RecognitionOptions(null, "fr", "ctx"));

        Assert.Equal([new("transcript", false), new(" of", false), new(" 1000", false), new(" ms", false), new("transcript of 1000 ms", true)], updates);
        var file = Assert.Single(host.Backend.TranscribedFiles);
        Assert.True(file.Existed);
        Assert.Equal((16_000, 1, 16, 16_000), (file.Rate, file.Channels, file.Bits, file.Samples));
        Assert.StartsWith(options.SharedDirectory, file.Path);
        Assert.False(File.Exists(file.Path));
        var request = host.Backend.Last<TranscriptRequest>();
        Assert.Equal(("fr", "ctx", true), (request.Language, request.Prompt, request.Stream));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Missing_stream_rpc_falls_back_to_unary_transcription(bool goStyle)
    {
        await using var host = await FakeBackendHost.StartAsync(new FakeBackendOptions { TranscriptionStreamUnimplemented = true, GoStyleUnimplemented = goStyle });
        using var registry = new BackendRegistry(FastOptions());
        var stt = registry.GetSpeechRecognizer(host.Uri, "whisper");

        var first = await TranscribeAsync(stt, Sine(8_000));
        var second = await TranscribeAsync(stt, Sine(8_000), new RecognitionOptions(null, null, "hello"));

        Assert.Equal([new TranscriptUpdate("transcript of 500 ms", true)], first);
        Assert.Equal([new TranscriptUpdate("hello world", true)], second);
        Assert.Single(host.Backend.Requests.OfType<TranscriptRequest>(), r => r.Stream);
    }

    [Fact]
    public async Task Silence_gives_an_empty_final_transcript()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        var stt = registry.GetSpeechRecognizer(host.Uri, "whisper");

        var updates = await TranscribeAsync(stt, new float[4_000]);

        Assert.Equal([new TranscriptUpdate("", true)], updates);
    }

    [Fact]
    public async Task Backend_failure_mid_stream_surfaces_from_ReadAsync()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        var stt = registry.GetSpeechRecognizer(host.Uri, "whisper");

        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(() => TranscribeAsync(stt, Sine(16_000), new RecognitionOptions(null, null, "error")));

        Assert.Equal(Grpc.Core.StatusCode.Internal, e.StatusCode);
        Assert.False(File.Exists(Assert.Single(host.Backend.TranscribedFiles).Path));
    }
}
