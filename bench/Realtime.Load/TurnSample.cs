namespace Realtime.Load;

/// <summary>
/// One measured turn, in milliseconds of wall time. Audio end = when the chunk holding the last speech was sent;
/// VAD lag = speech_stopped minus when the chunk holding audio_end_ms was sent (what the server adds to the
/// silence_duration_ms it must wait by definition).
/// </summary>
public readonly record struct TurnSample(double EndToStopped, double EndToFirstAudio, double StoppedToFirstAudio, double VadLag);
