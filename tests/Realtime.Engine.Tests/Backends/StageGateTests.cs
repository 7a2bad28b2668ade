using System.Diagnostics.Metrics;
using Realtime.Engine.Backends;
using TranscriptRequest = Realtime.Engine.Backends.Grpc.Protocol.TranscriptRequest;
using static Realtime.Engine.Tests.Backends.BackendTestKit;

namespace Realtime.Engine.Tests.Backends;

/// <summary>
/// Realtime:Backends:MaxConcurrency counts per stage and address: with the default (1), a transcription held open
/// does not take the slot an LLM call of another session waits for, while calls of one stage stay serialized; every
/// wait for a slot is recorded by stage.
/// </summary>
[Collection(StageGateTests.Name)]
public sealed class StageGateTests
{
    public const string Name = "backend queue-wait metric listener";

    [Fact]
    public async Task A_transcription_held_open_does_not_hold_the_llm_slot_of_the_same_address()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        ISpeechRecognizer stt = registry.GetSpeechRecognizer(host.Uri, "whisper");
        IChatModel llm = registry.GetChatModel(host.Uri, "qwen");
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        // A recognition the fake holds for 30 s (the test cancels it): it owns the transcription slot meanwhile.
        await using ISpeechRecognitionStream held = stt.Open(new RecognitionOptions(null, "en", "[slow:30000]"), cancel.Token);
        held.Write(Sine(8_000));
        held.Complete();
        Task transcription = DrainAsync(held, cancel.Token);
        while (!host.Backend.Requests.OfType<TranscriptRequest>().Any())
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        List<ChatDelta> answer = await CollectAsync(llm, Ask("hello"));

        Assert.Equal("Hello from fake.", TextOf(answer));
        Assert.False(transcription.IsCompleted, "the transcription should still be held by the fake");
        Assert.Equal(2, host.Backend.MaxConcurrent);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => transcription);
    }

    private static async Task DrainAsync(ISpeechRecognitionStream stream, CancellationToken cancellationToken)
    {
        await foreach (TranscriptUpdate _ in stream.ReadAsync(cancellationToken))
        {
        }
    }

    [Fact]
    public async Task Llm_calls_of_one_address_wait_for_the_slot_and_the_wait_is_recorded_by_stage()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        IChatModel llm = registry.GetChatModel(host.Uri, "qwen");
        var waits = new List<(string Stage, double Seconds)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "realtime.backend.queue_wait")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            lock (waits)
            {
                waits.Add(((string)tags[0].Value!, value));
            }
        });
        listener.Start();

        await CollectAsync(llm, Ask("warm up"));
        lock (waits)
        {
            waits.Clear();
        }

        List<ChatDelta>[] answers = await Task.WhenAll(CollectAsync(llm, Ask("[slow:200] one")), CollectAsync(llm, Ask("[slow:200] two")));

        Assert.All(answers, a => Assert.Equal("Hello from fake.", TextOf(a)));
        Assert.False(host.Backend.Overlapped);
        (string Stage, double Seconds)[] llmWaits;
        lock (waits)
        {
            llmWaits = [.. waits.Where(w => w.Stage == "llm")];
        }

        // One call got the free slot at once; the other waited at least for the first one's slow answer.
        Assert.Equal(2, llmWaits.Length);
        Assert.Contains(llmWaits, w => w.Seconds == 0);
        Assert.Contains(llmWaits, w => w.Seconds >= 0.15);
    }
}

[CollectionDefinition(StageGateTests.Name, DisableParallelization = true)]
public sealed class StageGateCollection;
