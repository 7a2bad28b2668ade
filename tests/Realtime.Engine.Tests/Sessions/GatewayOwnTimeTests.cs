using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Text.Json;

namespace Realtime.Engine.Tests.Sessions;

/// <summary>
/// `realtime.gateway.own_time` is the time to a response's first output with the backends' waits taken out: with a
/// slow chat model and a slow synthesizer, what is left is at most the client's whole wait minus those delays, and
/// one figure is recorded per response, at its first audio (spoken) or first text delta (text).
/// </summary>
[Collection(Name)]
public sealed class GatewayOwnTimeTests
{
    public const string Name = "gateway own-time metric listener";

    private static readonly TimeSpan ModelDelay = TimeSpan.FromMilliseconds(150);
    private static readonly TimeSpan SynthesisDelay = TimeSpan.FromMilliseconds(200);

    // Task.Delay runs on a millisecond timer and may end up to a tick before the Stopwatch says it should.
    private const double TimerSlackMs = 10;

    [Fact]
    public async Task A_spoken_answer_counts_neither_the_models_nor_the_synthesizers_wait_as_the_gateways()
    {
        using var recorded = new OwnTimeRecorder();
        await using var h = new SessionHarness();
        h.Model.DelayPerDelta = ModelDelay;
        h.Tts.Delay = SynthesisDelay;
        await h.WaitFor("session.created");
        h.Send("""{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}}""");
        await h.WaitFor("conversation.item.added");

        long sent = Stopwatch.GetTimestamp();
        h.Send("""{"type":"response.create"}""");
        await h.WaitFor("response.output_audio.delta");
        double clientMs = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        await h.WaitFor("response.done");

        // The script's two words each come after the model's delay, the first clause is whole after the second: the
        // critical path holds 2 model delays and 1 synthesis.
        double backendMs = (2 * ModelDelay + SynthesisDelay).TotalMilliseconds;
        (string stage, double ownMs) = Assert.Single(recorded.Values);
        Assert.Equal("first_audio", stage);
        Assert.InRange(ownMs, 0, clientMs - backendMs + TimerSlackMs);
        Assert.True(clientMs >= backendMs - TimerSlackMs, $"the client waited {clientMs:F1} ms, less than the backends' {backendMs} ms");
    }

    [Fact]
    public async Task A_text_answer_is_timed_to_its_first_text_delta_without_the_models_wait()
    {
        using var recorded = new OwnTimeRecorder();
        await using var h = new SessionHarness();
        h.Model.DelayPerDelta = ModelDelay;
        h.Send("""{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}""");
        await h.WaitFor("session.updated");
        h.Send("""{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"Hi"}]}}""");
        await h.WaitFor("conversation.item.added");

        long sent = Stopwatch.GetTimestamp();
        h.Send("""{"type":"response.create"}""");
        JsonElement first = await h.WaitFor("response.output_text.delta");
        double clientMs = Stopwatch.GetElapsedTime(sent).TotalMilliseconds;
        await h.WaitFor("response.done");

        Assert.Equal("Hello ", first.GetProperty("delta").GetString());
        (string stage, double ownMs) = Assert.Single(recorded.Values);
        Assert.Equal("first_text", stage);
        Assert.InRange(ownMs, 0, clientMs - ModelDelay.TotalMilliseconds + TimerSlackMs);
    }

    /// <summary>Collects `realtime.gateway.own_time` while it lives (tests of this collection run alone).</summary>
    private sealed class OwnTimeRecorder : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<(string Stage, double Ms)> _values = [];

        public OwnTimeRecorder()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Name == "realtime.gateway.own_time")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
            {
                lock (_values)
                {
                    _values.Add(((string)tags[0].Value!, value * 1000));
                }
            });
            _listener.Start();
        }

        public List<(string Stage, double Ms)> Values
        {
            get
            {
                lock (_values)
                {
                    return [.. _values];
                }
            }
        }

        public void Dispose() => _listener.Dispose();
    }
}

[CollectionDefinition(GatewayOwnTimeTests.Name, DisableParallelization = true)]
public sealed class GatewayOwnTimeCollection;
