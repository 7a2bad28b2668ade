using Realtime.Engine.Backends.Builtin;
using Realtime.Engine.TurnDetection;

namespace Realtime.Engine.Tests.TurnDetection;

/// <summary>The fallback detector on the same fixtures; the fixtures are clean TTS, so the same tolerances hold.</summary>
public sealed class EnergyTurnDetectionTests
{
    private readonly EnergySpeechDetector _detector = new();

    [Theory]
    [InlineData(20)]
    [InlineData(100)]
    public void Weather_question_is_one_turn_starting_near_500ms(int chunkMs)
    {
        var events = FixtureTurns.Detect(_detector, "weather_question.wav", chunkMs);
        Assert.True(events.Count == 2, FixtureTurns.Describe(events));
        Assert.Equal(TurnEventKind.SpeechStarted, events[0].Kind);
        Assert.InRange(events[0].AudioMs, 100, 300);
        Assert.Equal(TurnEventKind.SpeechStopped, events[1].Kind);
        Assert.InRange(events[1].AudioMs, 2600, 3400);
    }

    [Fact]
    public void Short_pause_is_one_turn_when_silence_duration_exceeds_the_real_632ms_gap()
    {
        var events = FixtureTurns.Detect(_detector, "short_pause.wav", settings: new TurnDetectionSettings(SilenceDurationMs: 800));
        Assert.True(events.Count == 2, FixtureTurns.Describe(events));
    }

    [Fact]
    public void Two_turns_are_two_turns()
    {
        var events = FixtureTurns.Detect(_detector, "two_turns.wav");
        Assert.True(events.Count == 4, FixtureTurns.Describe(events));
        Assert.Equal(
            [TurnEventKind.SpeechStarted, TurnEventKind.SpeechStopped, TurnEventKind.SpeechStarted, TurnEventKind.SpeechStopped],
            events.Select(e => e.Kind));
    }

    [Theory]
    [InlineData("silence_3s.wav")]
    [InlineData("noise_3s.wav")]
    public void Silence_and_noise_give_no_turn(string fixtureName)
    {
        var events = FixtureTurns.Detect(_detector, fixtureName);
        Assert.True(events.Count == 0, FixtureTurns.Describe(events));
    }

    [Theory]
    [InlineData("weather_question_8k.ulaw")]
    [InlineData("weather_question_8k.alaw")]
    [InlineData("weather_question_16k.wav")]
    public void Other_rates_and_codecs_give_the_same_boundaries(string fixtureName)
    {
        var reference = FixtureTurns.Detect(_detector, "weather_question.wav");
        var events = fixtureName.EndsWith(".wav", StringComparison.Ordinal)
            ? FixtureTurns.Detect16k(_detector, fixtureName)
            : FixtureTurns.Detect(_detector, fixtureName);
        Assert.True(events.Count == reference.Count, FixtureTurns.Describe(events) + " vs " + FixtureTurns.Describe(reference));
        for (int i = 0; i < events.Count; i++)
        {
            Assert.Equal(reference[i].Kind, events[i].Kind);
            Assert.InRange(events[i].AudioMs, reference[i].AudioMs - 100, reference[i].AudioMs + 100);
        }
    }

    [Fact]
    public void Probability_maps_level_to_the_documented_curve()
    {
        Assert.Equal(0f, EnergySpeechDetector.Probability(new float[512]));
        var frame = new float[512];
        Array.Fill(frame, MathF.Pow(10, EnergySpeechDetector.MidpointDbfs / 20)); // DC at exactly the midpoint level
        Assert.Equal(0.5f, EnergySpeechDetector.Probability(frame), 3);
        Array.Fill(frame, 0.5f);
        Assert.Equal(1f, EnergySpeechDetector.Probability(frame));
    }
}
