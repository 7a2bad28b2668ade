using Realtime.Engine.Backends;
using Realtime.Engine.TurnDetection;

namespace Realtime.Engine.Tests.TurnDetection;

/// <summary>
/// State machine timing with a scripted detector: frame i (32 ms) gets probability script[i], so every boundary
/// is known to the millisecond.
/// </summary>
public sealed class TurnDetectorTests
{
    private const int Frame = 512; // 32 ms at 16 kHz

    [Fact]
    public void Start_is_speech_start_minus_padding_and_stop_is_decided_after_the_silence()
    {
        // 20 frames silence (640 ms), 20 speech (640 ms), 30 silence.
        var (events, _) = Run([.. Repeat(0f, 20), .. Repeat(0.9f, 20), .. Repeat(0f, 30)], new TurnDetectionSettings());
        // Speech from 640 ms -> start 340; silence from 1280 ms; 500 ms reached after 16 frames (512 ms) -> 1792.
        Assert.Equal([new TurnEvent(TurnEventKind.SpeechStarted, 340), new TurnEvent(TurnEventKind.SpeechStopped, 1792)], events);
    }

    [Fact]
    public void Start_is_never_negative()
    {
        var (events, _) = Run([.. Repeat(0.9f, 10), .. Repeat(0f, 20)], new TurnDetectionSettings(PrefixPaddingMs: 300));
        Assert.Equal(new TurnEvent(TurnEventKind.SpeechStarted, 0), events[0]);
    }

    [Fact]
    public void Padding_of_the_next_turn_does_not_reach_into_the_committed_previous_turn()
    {
        // Stop decided at (10 + 16) * 32 = 832 ms; next speech at 30 * 32 = 960 ms; 960 - 300 < 832 -> 832; its stop (40 + 16) * 32.
        var (events, _) = Run([.. Repeat(0.9f, 10), .. Repeat(0f, 20), .. Repeat(0.9f, 10), .. Repeat(0f, 20)], new TurnDetectionSettings());
        Assert.Equal(
            [new TurnEvent(TurnEventKind.SpeechStarted, 0), new TurnEvent(TurnEventKind.SpeechStopped, 832),
             new TurnEvent(TurnEventKind.SpeechStarted, 832), new TurnEvent(TurnEventKind.SpeechStopped, 1792)],
            events);
    }

    [Fact]
    public void A_click_shorter_than_the_minimum_speech_does_not_start_a_turn()
    {
        var (events, _) = Run([.. Repeat(0f, 5), .. Repeat(1f, 2), .. Repeat(0f, 30)], new TurnDetectionSettings());
        Assert.Empty(events);
    }

    [Fact]
    public void Probabilities_between_the_thresholds_neither_end_nor_extend_the_pause()
    {
        // Speech, then 0.4 (between exit 0.35 and threshold 0.5): the turn continues; pause timing starts at 0.1.
        float[] script = [.. Repeat(0.9f, 10), .. Repeat(0.4f, 30), .. Repeat(0.1f, 20)];
        var (events, _) = Run(script, new TurnDetectionSettings());
        Assert.Equal(2, events.Count);
        Assert.Equal(new TurnEvent(TurnEventKind.SpeechStopped, (40 + 16) * 32), events[1]);
    }

    [Fact]
    public void Settings_changes_apply_to_the_next_frames()
    {
        var script = new ScriptedDetector([.. Repeat(0.6f, 10), .. Repeat(0f, 40)]);
        using var detector = new TurnDetector(script, new TurnDetectionSettings(Threshold: 0.7f));
        var events = new List<TurnEvent>();
        detector.Process(new float[Frame * 5], events);
        Assert.Empty(events); // 0.6 < 0.7
        detector.Settings = new TurnDetectionSettings(Threshold: 0.5f, PrefixPaddingMs: 0, SilenceDurationMs: 200);
        detector.Process(new float[Frame * 45], events);
        Assert.Equal([new TurnEvent(TurnEventKind.SpeechStarted, 160), new TurnEvent(TurnEventKind.SpeechStopped, (10 + 7) * 32)], events);
    }

    [Fact]
    public void Audio_clock_counts_every_sample_including_partial_frames()
    {
        using var detector = new TurnDetector(new ScriptedDetector([0f]), new TurnDetectionSettings());
        var events = new List<TurnEvent>();
        detector.Process(new float[1000], events);
        detector.Process(new float[600], events);
        Assert.Equal(100, detector.AudioMs);
    }

    [Fact]
    public void CancelSpeech_drops_the_turn_and_resets_the_detector_stream()
    {
        var script = new ScriptedDetector([.. Repeat(0.9f, 10), .. Repeat(0f, 40)]);
        using var detector = new TurnDetector(script, new TurnDetectionSettings());
        var events = new List<TurnEvent>();
        detector.Process(new float[Frame * 8], events);
        Assert.True(detector.InSpeech);
        detector.CancelSpeech();
        Assert.False(detector.InSpeech);
        Assert.Equal(1, script.Resets);
        detector.Process(new float[Frame * 40], events);
        Assert.Single(events); // no SpeechStopped for a cancelled turn
        Assert.Equal(48 * 32, detector.AudioMs);

        // Speech after the clear: its padding starts at the clear (256 ms), not in the cleared audio.
        var again = new ScriptedDetector([.. Repeat(0f, 10), .. Repeat(0.9f, 10)]);
        using var second = new TurnDetector(again, new TurnDetectionSettings(PrefixPaddingMs: 1000));
        var secondEvents = new List<TurnEvent>();
        second.Process(new float[Frame * 8], secondEvents);
        second.CancelSpeech();
        second.Process(new float[Frame * 12], secondEvents);
        Assert.Equal([new TurnEvent(TurnEventKind.SpeechStarted, 256)], secondEvents);
    }

    private static (List<TurnEvent> Events, ScriptedDetector Detector) Run(float[] script, TurnDetectionSettings settings)
    {
        var scripted = new ScriptedDetector(script);
        using var detector = new TurnDetector(scripted, settings);
        var events = new List<TurnEvent>();
        // Odd chunk size so frames straddle calls.
        var samples = new float[script.Length * Frame];
        for (int offset = 0; offset < samples.Length; offset += 333)
        {
            detector.Process(samples.AsSpan(offset, Math.Min(333, samples.Length - offset)), events);
        }

        return (events, scripted);
    }

    private static float[] Repeat(float value, int count) => Enumerable.Repeat(value, count).ToArray();

    /// <summary>Returns the scripted probability per frame (the last one forever after).</summary>
    private sealed class ScriptedDetector(float[] script) : ISpeechDetector, ISpeechDetectorStream
    {
        private int _frame;

        public int Resets { get; private set; }

        public string Name => "test:scripted";

        public int FrameSamples => Frame;

        public ISpeechDetectorStream OpenStream() => this;

        public float Process(ReadOnlySpan<float> frame)
        {
            Assert.Equal(Frame, frame.Length);
            return script[Math.Min(_frame++, script.Length - 1)];
        }

        public void Reset() => Resets++;

        public void Dispose()
        {
        }
    }
}
