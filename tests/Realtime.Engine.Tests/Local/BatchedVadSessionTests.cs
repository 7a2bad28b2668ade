using System.Text.Json;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.Tests.Sessions;
using Realtime.Engine.Tests.TurnDetection;
using Realtime.Engines.Local.Silero;

namespace Realtime.Engine.Tests.Local;

/// <summary>
/// Whole sessions on one Silero detector, speaking at the same time, so their appends wait for batched inferences:
/// each gets exactly the turn a lone session gets.
/// </summary>
public sealed class BatchedVadSessionTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    private readonly SileroSpeechDetector _vad = fixture.Detector;

    [Fact]
    public async Task Sessions_speaking_at_once_get_the_turn_a_lone_session_gets()
    {
        byte[] pcm = AudioFixtures.ReadWav("weather_question.wav").Pcm;
        (long Start, long End) alone = await Turn(pcm);
        Assert.InRange(alone.Start, 100, 300);

        // A pump keeps taking the batcher for a millisecond at a time, so frames queue and run in batches the way
        // they do under load, on this 2-core machine, whatever the scheduling of the eight sessions.
        SileroBatcher batcher = _vad.Batcher;
        long frames = batcher.Frames;
        long batches = batcher.Batches;
        using var stop = new CancellationTokenSource();
        Task pump = Task.Run(
            () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    if (batcher.TryHold())
                    {
                        Thread.Sleep(1);
                        batcher.Drain();
                    }

                    Thread.Yield();
                }
            },
            TestContext.Current.CancellationToken);

        (long Start, long End)[] together = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Turn(pcm))));
        await stop.CancelAsync();
        await pump;

        Assert.All(together, turn => Assert.Equal(alone, turn));
        Assert.True(batcher.Frames - frames > batcher.Batches - batches, "no frames were batched together");
    }

    /// <summary>One session streams the fixture in 40 ms appends; returns its turn's audio_start_ms and audio_end_ms.</summary>
    private async Task<(long Start, long End)> Turn(byte[] pcm)
    {
        await using var h = new SessionHarness(vad: _vad);
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"input\":{\"turn_detection\":{\"type\":\"server_vad\",\"create_response\":false}}}}}");
        h.StreamAudio(pcm, 48);
        JsonElement stopped = await h.WaitFor("input_audio_buffer.speech_stopped");
        JsonElement started = await h.WaitFor("input_audio_buffer.speech_started");
        await h.WaitFor("input_audio_buffer.committed");
        return (started.GetProperty("audio_start_ms").GetInt64(), stopped.GetProperty("audio_end_ms").GetInt64());
    }
}
