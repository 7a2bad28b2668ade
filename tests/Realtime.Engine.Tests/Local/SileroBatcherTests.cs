using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Builtin;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.Tests.TurnDetection;
using Realtime.Engine.TurnDetection;
using Realtime.Engines.Local.Silero;

namespace Realtime.Engine.Tests.Local;

// These tests hold ValueTasks on purpose to look at them before and after the batch runs (completed inline or still
// pending), and read each result exactly once, synchronously, once it is complete: nothing blocks, nothing is
// consumed twice. Awaiting instead would hide exactly the states under test.
#pragma warning disable CA2012, xUnit1031

/// <summary>
/// The shared Silero batcher: frames of several streams inferred together give each stream exactly what it gets
/// alone. <see cref="SileroBatcher.TryHold"/> makes batching deterministic (frames queue as they do while an inference
/// runs under load; <see cref="SileroBatcher.Drain"/> then infers them here).
/// </summary>
public sealed class SileroBatcherTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    private const int Frame = SileroSpeechDetector.FrameSize;
    private const float Tolerance = 1e-5f;

    private readonly SileroSpeechDetector _detector = fixture.Detector;

    [Fact]
    public void Interleaved_batches_and_lone_frames_match_each_stream_run_alone()
    {
        const int Streams = 6;
        const int Frames = 60;
        float[][] audio = StreamAudio(Streams, Frames);
        float[][] alone = Alone(audio, Frames);

        SileroBatcher batcher = _detector.Batcher;
        var streams = Open(Streams);
        var pending = new ValueTask<float>[Streams];
        for (int f = 0; f < Frames; f++)
        {
            long batches = batcher.Batches;
            switch (f % 3)
            {
                case 0: // all six queued behind a running inference: one batch of six
                    Hold(batcher);
                    Submit(streams, audio, f, pending, 0, Streams);
                    Assert.All(pending, p => Assert.False(p.IsCompleted));
                    batcher.Drain();
                    Assert.Equal(batches + 1, batcher.Batches);
                    break;
                case 1: // three batched, three alone: state moves between batch rows and lone runs
                    Hold(batcher);
                    Submit(streams, audio, f, pending, 0, 3);
                    batcher.Drain();
                    Submit(streams, audio, f, pending, 3, Streams);
                    Assert.Equal(batches + 4, batcher.Batches);
                    break;
                default: // an idle batcher runs a lone frame inline: complete before ProcessAsync returns
                    Submit(streams, audio, f, pending, 0, Streams);
                    Assert.All(pending, p => Assert.True(p.IsCompletedSuccessfully));
                    Assert.Equal(batches + Streams, batcher.Batches);
                    break;
            }

            for (int s = 0; s < Streams; s++)
            {
                float probability = Collect(pending[s]);
                Assert.True(Math.Abs(alone[s][f] - probability) <= Tolerance, $"stream {s} frame {f}: {probability} vs {alone[s][f]} alone");
            }
        }

        Dispose(streams);
    }

    [Fact]
    public void More_frames_than_the_largest_batch_run_as_several_batches_in_arrival_order()
    {
        int count = SileroBatcher.DefaultMaxBatch + 6;
        const int Frames = 3;
        float[][] audio = StreamAudio(count, Frames);
        float[][] alone = Alone(audio, Frames);
        SileroBatcher batcher = _detector.Batcher;
        var streams = Open(count);
        var pending = new ValueTask<float>[count];
        for (int f = 0; f < Frames; f++)
        {
            long batches = batcher.Batches;
            long frames = batcher.Frames;
            Hold(batcher);
            Submit(streams, audio, f, pending, 0, count);
            batcher.Drain();
            Assert.Equal(batches + 2, batcher.Batches);
            Assert.Equal(frames + count, batcher.Frames);
            for (int s = 0; s < count; s++)
            {
                Assert.True(Math.Abs(alone[s][f] - Collect(pending[s])) <= Tolerance, $"stream {s} frame {f}");
            }
        }

        Dispose(streams);
    }

    [Fact]
    public async Task Concurrent_streams_awaiting_their_frames_get_the_single_stream_probabilities()
    {
        const int Streams = 8;
        const int Frames = 100;
        float[][] audio = StreamAudio(Streams, Frames);
        float[][] alone = Alone(audio, Frames);
        var results = new float[Streams][];
        var streams = Open(Streams);

        // Like sessions on the thread pool: each awaits its frame before sending the next one.
        await Task.WhenAll(Enumerable.Range(0, Streams).Select(s => Task.Run(async () =>
        {
            results[s] = new float[Frames];
            for (int f = 0; f < Frames; f++)
            {
                results[s][f] = await streams[s].ProcessAsync(audio[s].AsMemory(f * Frame, Frame));
            }
        })));

        for (int s = 0; s < Streams; s++)
        {
            for (int f = 0; f < Frames; f++)
            {
                Assert.True(Math.Abs(alone[s][f] - results[s][f]) <= Tolerance, $"stream {s} frame {f}");
            }
        }

        Dispose(streams);
    }

    [Fact]
    public async Task Turn_events_through_the_batched_path_equal_the_synchronous_ones()
    {
        var expected = FixtureTurns.Detect(_detector, "weather_question.wav", 20);
        Assert.Equal(TurnEventKind.SpeechStarted, expected[0].Kind);
        float[] audio = SileroSpeechDetectorTests.Load16k("weather_question.wav");

        // Four sessions on the same audio at once, in 20 ms appends, each through TurnDetector.ProcessAsync.
        var detected = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(async () =>
        {
            using var turns = new TurnDetector(_detector, new TurnDetectionSettings());
            var events = new List<TurnEvent>();
            for (int offset = 0; offset < audio.Length; offset += 320)
            {
                await turns.ProcessAsync(audio.AsMemory(offset, Math.Min(320, audio.Length - offset)), events);
            }

            return events;
        })));

        Assert.All(detected, events => Assert.Equal(FixtureTurns.Describe(expected), FixtureTurns.Describe(events)));
    }

    [Fact]
    public void Warm_batched_step_allocates_nothing_on_the_session_side()
    {
        const int Streams = 8;
        float[][] audio = StreamAudio(Streams, 40);
        SileroBatcher batcher = _detector.Batcher;
        var streams = Open(Streams);
        var pending = new ValueTask<float>[Streams];
        float sum = 0;

        // Submit (copy + enqueue), the batched inference, queueing each completion to the thread pool and reading
        // each result: everything a session and the batcher do per frame. The next test adds waiting continuations.
        void Step(int f)
        {
            Hold(batcher);
            Submit(streams, audio, f, pending, 0, Streams);
            batcher.Drain();
            for (int s = 0; s < Streams; s++)
            {
                sum += Collect(pending[s]);
            }
        }

        for (int f = 0; f < 20; f++)
        {
            Step(f);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int f = 20; f < 40; f++)
        {
            Step(f);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sum >= 0);
        Dispose(streams);
    }

    [Fact]
    public void Warm_turn_detection_waiting_for_a_batch_allocates_nothing_on_the_session_thread()
    {
        const int Detectors = 4;
        float[] audio = SileroSpeechDetectorTests.Load16k("two_turns.wav");
        SileroBatcher batcher = _detector.Batcher;
        var turns = Enumerable.Range(0, Detectors).Select(_ => new TurnDetector(_detector, new TurnDetectionSettings())).ToArray();
        var events = Enumerable.Range(0, Detectors).Select(_ => new List<TurnEvent>(16)).ToArray();
        var pending = new ValueTask[Detectors];
        int offset = 0;

        // One 32 ms append per detector goes pending on a held batcher (the detector registers its cached frame
        // continuation), is inferred as one batch, and is collected once that continuation ran on the thread pool.
        void Step()
        {
            Hold(batcher);
            for (int d = 0; d < Detectors; d++)
            {
                events[d].Clear();
                pending[d] = turns[d].ProcessAsync(audio.AsMemory(offset, Frame), events[d]);
            }

            batcher.Drain();
            for (int d = 0; d < Detectors; d++)
            {
                while (!pending[d].IsCompleted)
                {
                    Thread.SpinWait(20);
                }

                pending[d].GetAwaiter().GetResult();
            }

            offset = (offset + Frame) % (audio.Length - Frame);
        }

        for (int i = 0; i < 100; i++)
        {
            Step();
        }

        // As in the turn detector gate: a one-off runtime event on a loaded machine must not recur in every pass.
        var passes = new List<long>(5);
        for (int pass = 0; pass < 5 && (passes.Count == 0 || passes[^1] != 0); pass++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++)
            {
                Step();
            }

            passes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.True(passes[^1] == 0, $"bytes per pass: {string.Join(", ", passes)}");
        foreach (var detector in turns)
        {
            detector.Dispose();
        }
    }

    [Fact]
    public void A_lone_speaker_runs_inline_and_allocates_nothing()
    {
        float[] audio = SileroSpeechDetectorTests.Load16k("two_turns.wav");
        using var turns = new TurnDetector(_detector, new TurnDetectionSettings());
        var events = new List<TurnEvent>(16);
        long batches = _detector.Batcher.Batches;
        int appends = 0;

        void Feed()
        {
            for (int offset = 0; offset + 640 <= audio.Length; offset += 640)
            {
                ValueTask detection = turns.ProcessAsync(audio.AsMemory(offset, 640), events); // 40 ms appends
                Assert.True(detection.IsCompletedSuccessfully); // no other speaker: inferred before returning
                detection.GetAwaiter().GetResult();
                appends++;
            }
        }

        Feed();
        Assert.Equal(4, events.Count); // both turns: every path ran
        var passes = new List<long>(5);
        for (int pass = 0; pass < 5 && (passes.Count == 0 || passes[^1] != 0); pass++)
        {
            events.Clear();
            long before = GC.GetAllocatedBytesForCurrentThread();
            Feed();
            passes.Add(GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(4, events.Count);
        }

        Assert.True(passes[^1] == 0, $"bytes per pass: {string.Join(", ", passes)}");
        Assert.Equal(appends * 640 / Frame, _detector.Batcher.Batches - batches); // one inference per frame
    }

    [Fact]
    public void Detectors_without_a_batched_path_answer_inline_with_the_synchronous_events()
    {
        var energy = new EnergySpeechDetector();
        var expected = FixtureTurns.Detect(energy, "weather_question.wav", 20);
        Assert.NotEmpty(expected);
        float[] audio = SileroSpeechDetectorTests.Load16k("weather_question.wav");
        using var turns = new TurnDetector(energy, new TurnDetectionSettings());
        var events = new List<TurnEvent>();
        for (int offset = 0; offset < audio.Length; offset += 320)
        {
            ValueTask detection = turns.ProcessAsync(audio.AsMemory(offset, Math.Min(320, audio.Length - offset)), events);
            Assert.True(detection.IsCompletedSuccessfully);
            detection.GetAwaiter().GetResult();
        }

        Assert.Equal(FixtureTurns.Describe(expected), FixtureTurns.Describe(events));
    }

    [Fact]
    public void A_second_frame_while_one_is_in_flight_is_refused()
    {
        SileroBatcher batcher = _detector.Batcher;
        using var stream = _detector.OpenStream();
        var frame = new float[Frame];
        Hold(batcher);
        ValueTask<float> first = stream.ProcessAsync(frame);
        Assert.Throws<InvalidOperationException>(() => stream.ProcessAsync(frame));
        Assert.Throws<InvalidOperationException>(() => stream.Process(frame));
        Assert.Throws<InvalidOperationException>(stream.Reset);
        batcher.Drain();
        float silence = Collect(first);
        Assert.True(silence < 0.1f, $"silence scored {silence}");
        Assert.True(stream.ProcessAsync(frame).IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_frame_queued_when_the_detector_is_disposed_fails_instead_of_hanging()
    {
        var detector = new SileroSpeechDetector(AudioFixtures.SileroModelPath);
        var stream = detector.OpenStream();
        var late = detector.OpenStream();
        Assert.True(stream.ProcessAsync(new float[Frame]).IsCompletedSuccessfully);

        SileroBatcher batcher = detector.Batcher;
        Hold(batcher);
        ValueTask<float> orphan = stream.ProcessAsync(new float[Frame]);
        stream.Dispose(); // allowed with a frame in flight: the batcher only touches the stream's managed buffers
        late.Dispose();
        detector.Dispose();
        batcher.Drain();
        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await orphan);
        Assert.Throws<ObjectDisposedException>(() => late.ProcessAsync(new float[Frame]));
    }

    /// <summary>Waits out a hand-off worker of an earlier test that is just finding the queue empty.</summary>
    internal static void Hold(SileroBatcher batcher)
    {
        while (!batcher.TryHold())
        {
            Thread.Yield();
        }
    }

    /// <summary>
    /// A queued frame's result is set on a thread-pool thread (never on the batcher's): wait for it, then read it.
    /// </summary>
    private static float Collect(ValueTask<float> pending)
    {
        while (!pending.IsCompleted)
        {
            Thread.SpinWait(20);
        }

        return pending.Result;
    }

    private static void Submit(ISpeechDetectorStream[] streams, float[][] audio, int frame, ValueTask<float>[] pending, int from, int to)
    {
        for (int s = from; s < to; s++)
        {
            pending[s] = streams[s].ProcessAsync(audio[s].AsMemory(frame * Frame, Frame));
        }
    }

    /// <summary>Different fixtures at different offsets, so every stream's state and context differ.</summary>
    private static float[][] StreamAudio(int streams, int frames)
    {
        string[] names = ["weather_question.wav", "two_turns.wav", "short_pause.wav"];
        float[][] files = names.Select(SileroSpeechDetectorTests.Load16k).ToArray();
        var audio = new float[streams][];
        for (int s = 0; s < streams; s++)
        {
            float[] file = files[s % files.Length];
            int start = (s * 7 * Frame) % (file.Length - (frames * Frame));
            audio[s] = file.AsSpan(start, frames * Frame).ToArray();
        }

        return audio;
    }

    private float[][] Alone(float[][] audio, int frames)
    {
        var alone = new float[audio.Length][];
        for (int s = 0; s < audio.Length; s++)
        {
            using var stream = _detector.OpenStream();
            alone[s] = new float[frames];
            for (int f = 0; f < frames; f++)
            {
                alone[s][f] = stream.Process(audio[s].AsSpan(f * Frame, Frame));
            }
        }

        return alone;
    }

    private ISpeechDetectorStream[] Open(int count) => Enumerable.Range(0, count).Select(_ => _detector.OpenStream()).ToArray();

    private static void Dispose(ISpeechDetectorStream[] streams)
    {
        foreach (var stream in streams)
        {
            stream.Dispose();
        }
    }
}
