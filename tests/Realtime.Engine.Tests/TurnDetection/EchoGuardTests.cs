using Realtime.Engine.Audio;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.TurnDetection;
using Realtime.Engines.Local.Silero;
using Realtime.Wire.Audio;

namespace Realtime.Engine.Tests.TurnDetection;

/// <summary>The echo guard on real Silero output: speech at -12 dB (speaker echo) vs at full level (a user).</summary>
public sealed class EchoGuardTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    private readonly SileroSpeechDetector _detector = fixture.Detector;

    [Fact]
    public void Quiet_copy_of_speech_is_speech_without_the_guard()
    {
        // Proves the guard is what stops the echo below: Silero alone calls the quiet copy speech.
        var events = Run("weather_question.wav", gain: 0.25f, guardUntilMs: 0);
        Assert.True(events.Count == 2, FixtureTurns.Describe(events));
    }

    [Theory]
    [InlineData("weather_question.wav")]
    [InlineData("long_passage.wav")]
    public void Quiet_copy_of_speech_does_not_start_a_turn_under_the_guard(string name)
    {
        var events = Run(name, gain: 0.25f, guardUntilMs: long.MaxValue);
        Assert.True(events.Count == 0, FixtureTurns.Describe(events));
    }

    [Fact]
    public void Full_level_speech_still_starts_a_turn_under_the_guard()
    {
        var events = Run("weather_question.wav", gain: 1f, guardUntilMs: long.MaxValue);
        Assert.True(events.Count == 2, FixtureTurns.Describe(events));
        // Later than unguarded (~200 ms): the sentence's quiet onset does not count, then 250 ms of loud speech.
        Assert.InRange(events[0].AudioMs, 300, 1000);
    }

    [Fact]
    public void Guard_ends_at_its_audio_time()
    {
        // Guard over the first second only: the quiet sentence (0.5 s .. 2.6 s) starts a turn once it has passed.
        var events = Run("weather_question.wav", gain: 0.25f, guardUntilMs: 1000);
        Assert.True(events.Count == 2, FixtureTurns.Describe(events));
        Assert.InRange(events[0].AudioMs, 1000 - 300, 1400);
    }

    private List<TurnEvent> Run(string name, float gain, long guardUntilMs)
    {
        var (_, pcm) = AudioFixtures.ReadWav(name);
        for (int i = 0; i + 1 < pcm.Length; i += 2)
        {
            short sample = (short)(BitConverter.ToInt16(pcm, i) * gain);
            BitConverter.TryWriteBytes(pcm.AsSpan(i), sample);
        }

        var converter = new InputAudioConverter(AudioFormat.Pcm16);
        using var turns = new TurnDetector(_detector, new TurnDetectionSettings()) { EchoGuardUntilMs = guardUntilMs };
        var events = new List<TurnEvent>();
        var samples = new float[InputAudioConverter.MaxOutputSamples(1920, AudioFormat.Pcm16)];
        for (int offset = 0; offset < pcm.Length; offset += 1920)
        {
            int written = converter.Convert(pcm.AsSpan(offset, Math.Min(1920, pcm.Length - offset)), samples);
            turns.Process(samples.AsSpan(0, written), events);
        }

        return events;
    }
}
