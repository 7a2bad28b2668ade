namespace Realtime.Wer;

/// <summary>A fixture's turns scored against its text: the final transcripts, and what had streamed at speech_stopped.</summary>
public sealed class FixtureResult(SpokenFixture fixture, IReadOnlyList<TurnResult> turns)
{
    public SpokenFixture Fixture { get; } = fixture;

    public IReadOnlyList<TurnResult> Turns { get; } = turns;

    public string Final => string.Join(" ", Turns.Select(t => t.Final.Trim()).Where(t => t.Length > 0));

    public string PartialAtStop => string.Join(" ", Turns.Select(t => t.PartialAtStop.Trim()).Where(t => t.Length > 0));

    public TranscriptScore FinalScore => TranscriptScore.Of(Fixture.Reference, Final);

    public TranscriptScore PartialScore => TranscriptScore.Of(Fixture.Reference, PartialAtStop);

    /// <summary>The slowest turn's wait from speech_stopped to its final transcript.</summary>
    public double WorstFinalAfterStopMs => Turns.Count == 0 ? double.NaN : Turns.Max(t => t.FinalAfterStopMs);

    public string Describe() =>
        $"{Fixture.Name}: {Turns.Count} turn(s), \"{Final}\" {FinalScore.Hits}/{FinalScore.Words} right, WER {FinalScore.ErrorRate:P0}; " +
        $"at speech_stopped \"{PartialAtStop}\" {PartialScore.Hits}/{PartialScore.Words}; final {WorstFinalAfterStopMs:F0} ms after speech_stopped";
}
