using Realtime.Engine.Backends;

namespace Realtime.Engine.TurnDetection;

/// <summary>
/// server_vad on audio time: feeds 16 kHz audio frame by frame to a speech detector stream and turns
/// probabilities into SpeechStarted/SpeechStopped events. One per session; not thread-safe.
/// </summary>
public sealed class TurnDetector : IDisposable
{
    public TurnDetector(ISpeechDetector detector, TurnDetectionSettings settings) => throw new NotImplementedException();

    /// <summary>Current settings; replaced by session.update between appends.</summary>
    public TurnDetectionSettings Settings { get; set; } = new();

    /// <summary>Milliseconds of audio fed so far (the audio clock).</summary>
    public long AudioMs => throw new NotImplementedException();

    /// <summary>True between SpeechStarted and SpeechStopped.</summary>
    public bool InSpeech => throw new NotImplementedException();

    /// <summary>Feeds audio; appends any turn events found, in order, to <paramref name="events"/>.</summary>
    public void Process(ReadOnlySpan<float> samples16k, List<TurnEvent> events) => throw new NotImplementedException();

    /// <summary>Discards pending speech (input_audio_buffer.clear); the audio clock keeps running.</summary>
    public void CancelSpeech() => throw new NotImplementedException();

    public void Dispose() => throw new NotImplementedException();
}
