using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc;
using Realtime.Engine.Backends.Grpc.Protocol;
using static Realtime.Engine.Tests.Backends.BackendTestKit;

namespace Realtime.Engine.Tests.Backends;

public sealed class GrpcSpeechDetectorTests
{
    [Fact]
    public void Open_segment_or_one_reaching_the_last_frame_means_speech()
    {
        const int samples = 32_000; // 2 s
        Assert.True(GrpcSpeechDetectorStream.EndsInSpeech(new VADResponse { Segments = { new VADSegment { Start = 1.5f, End = 0f } } }, samples));
        Assert.True(GrpcSpeechDetectorStream.EndsInSpeech(new VADResponse { Segments = { new VADSegment { Start = 1.5f, End = 1.99f } } }, samples));
        Assert.False(GrpcSpeechDetectorStream.EndsInSpeech(new VADResponse { Segments = { new VADSegment { Start = 0.2f, End = 1.2f } } }, samples));
        Assert.False(GrpcSpeechDetectorStream.EndsInSpeech(new VADResponse(), samples));
    }

    [Fact]
    public async Task Remote_segments_drive_the_probability_of_the_latest_frame()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions() with
        {
            VadFramesPerRequest = 1,
            VadWindow = TimeSpan.FromSeconds(1),
            ModelDirectory = "/models",
            LoadOptions = ["vad_only:true"],
        });
        var vad = registry.GetSpeechDetector(host.Uri, "silero");
        using var stream = (GrpcSpeechDetectorStream)vad.OpenStream();
        var silence = new float[512];
        var speech = Sine(512);

        async Task<float> Feed(float[] frame, int frames)
        {
            for (var i = 0; i < frames; i++)
            {
                stream.Process(frame);
                await stream.PendingRequest;
            }

            return stream.Process(frame);
        }

        Assert.Equal(0f, await Feed(silence, 10));
        Assert.Equal(1f, await Feed(speech, 10));
        Assert.Equal(0f, await Feed(silence, 10));

        var load = Assert.Single(host.Backend.Requests.OfType<ModelOptions>());
        Assert.Equal(("silero", "/models", "/models/silero"), (load.Model, load.ModelPath, load.ModelFile));
        Assert.Equal(["vad_only:true"], load.Options);
        var last = host.Backend.Requests.OfType<VADRequest>().Last();
        Assert.Equal(16_000 - 16_000 % 512, last.Audio.Count);
    }
}
