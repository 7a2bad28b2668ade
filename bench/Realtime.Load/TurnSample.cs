namespace Realtime.Load;

/// <summary>
/// One measured turn, in milliseconds of wall time. Audio end = when the chunk holding the last speech was sent;
/// VAD lag = speech_stopped minus when the chunk holding audio_end_ms was sent (what the server adds to the
/// silence_duration_ms it must wait by definition). Silence sent = milliseconds of audio after the last speech chunk
/// that the tool had sent when speech_stopped arrived: the most silence the server can have heard, counted on the
/// audio clock, so a sender that stalled and then caught up cannot make it look short.
/// </summary>
public readonly record struct TurnSample(double EndToStopped, double EndToFirstAudio, double StoppedToFirstAudio, double VadLag, double SilenceSentMs);
