using Realtime.Engine.Audio;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.TurnDetection;
using Realtime.Engines.Local.Silero;
using Realtime.Wire.Audio;

namespace Realtime.Engine.Tests.TurnDetection;

/// <summary>
/// semantic_vad on real Silero segments: the hold-off is set from a partial transcript at the audio time a
/// streaming recognizer would deliver it (faster than real time; turn detection runs on audio time).
/// </summary>
public sealed class SemanticTurnTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    private readonly SileroSpeechDetector _detector = fixture.Detector;

    [Theory]
    [InlineData(TurnEagerness.Medium)]
    [InlineData(TurnEagerness.Low)]
    public void Short_pause_after_like_is_one_turn(TurnEagerness eagerness)
    {
        // "I would like" ends at 1148 ms, 632 ms of silence, "a cup of tea, please." ends near 3300 ms.
        var events = Run("short_pause.wav", eagerness, (1200, "I would like"), (3400, " a cup of tea, please."));
        Assert.True(events.Count == 2, FixtureTurns.Describe(events));
        Assert.Equal([TurnEventKind.SpeechStarted, TurnEventKind.SpeechStopped], events.Select(e => e.Kind));
        int complete = SemanticTurnPolicy.HoldOffMs("please.", eagerness);
        Assert.InRange(events[1].AudioMs, 3300 + complete - 100, 3300 + complete + 150);
    }

    [Fact]
    public void Short_pause_without_a_transcript_cue_ends_inside_the_gap()
    {
        // The same audio with a neutral partial: medium's 600 ms ends the turn in the 632 ms gap, so the single
        // turn above is the transcript's doing, not a long fixed hold-off.
        var events = Run("short_pause.wav", TurnEagerness.Medium, (1200, "I would have"));
        Assert.True(events.Count == 4, FixtureTurns.Describe(events));
        Assert.InRange(events[1].AudioMs, 1148 + 600 - 100, 1780);
    }

    [Fact]
    public void Weather_question_ends_promptly_with_medium_eagerness()
    {
        var events = Run("weather_question.wav", TurnEagerness.Medium, (1500, "what is the weather"), (2700, " in paris today"));
        Assert.True(events.Count == 2, FixtureTurns.Describe(events));
        Assert.InRange(events[0].AudioMs, 100, 300);
        // Neutral ending (no punctuation from this recognizer): 600 ms after the sentence, inside the fixture's 1 s tail.
        Assert.InRange(events[1].AudioMs, 2600, 3500);
    }

    [Fact]
    public void Incomplete_partial_holds_until_the_max_timeout_then_ends()
    {
        // High eagerness: a trailing "and" waits 2 s (the maximum), then the turn ends even without more speech.
        var events = Run("weather_question.wav", TurnEagerness.High, (2700, "what is the weather in paris today and"), extraSilenceMs: 2500);
        Assert.True(events.Count == 2, FixtureTurns.Describe(events));
        long speechEnd = events[1].AudioMs - 2000;
        Assert.InRange(speechEnd, 2300, 2800);
    }

    /// <summary>Streams a fixture in 40 ms chunks, applying each partial once the audio clock passes its time.</summary>
    private List<TurnEvent> Run(string name, TurnEagerness eagerness, params (int AtMs, string Delta)[] partials) =>
        Run(name, eagerness, partials, 0);

    private List<TurnEvent> Run(string name, TurnEagerness eagerness, (int AtMs, string Delta) partial, int extraSilenceMs) =>
        Run(name, eagerness, [partial], extraSilenceMs);

    private List<TurnEvent> Run(string name, TurnEagerness eagerness, (int AtMs, string Delta)[] partials, int extraSilenceMs)
    {
        var (_, pcm) = AudioFixtures.ReadWav(name);
        byte[] audio = [.. pcm, .. new byte[extraSilenceMs * 48]];
        var converter = new InputAudioConverter(AudioFormat.Pcm16);
        using var turns = new TurnDetector(_detector, new TurnDetectionSettings(0.5f, 300, SemanticTurnPolicy.HoldOffMs(default, eagerness)));
        var events = new List<TurnEvent>();
        var samples = new float[InputAudioConverter.MaxOutputSamples(1920, AudioFormat.Pcm16)];
        string text = "";
        int next = 0;
        for (int offset = 0; offset < audio.Length; offset += 1920)
        {
            if (next < partials.Length && turns.AudioMs >= partials[next].AtMs)
            {
                text += partials[next++].Delta;
                turns.EndOfTurnSilenceMs = SemanticTurnPolicy.HoldOffMs(text, eagerness);
            }

            int written = converter.Convert(audio.AsSpan(offset, Math.Min(1920, audio.Length - offset)), samples);
            turns.Process(samples.AsSpan(0, written), events);
        }

        return events;
    }
}
