namespace Realtime.Wer;

/// <summary>
/// One detected turn: what the recognizer had streamed when speech_stopped fired, its final transcript, and how long
/// after speech_stopped (wall clock, audio paced at real time) the final transcript arrived.
/// </summary>
public sealed record TurnResult(long AudioStartMs, long AudioEndMs, string PartialAtStop, string Final, double FinalAfterStopMs);
