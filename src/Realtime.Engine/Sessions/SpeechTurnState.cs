using Realtime.Engine.Audio;
using Realtime.Engine.Backends;
using Realtime.Engine.Responses;
using Realtime.Engine.TurnDetection;

namespace Realtime.Engine.Sessions;

/// <summary>
/// A session's state once audio flows: turn detection, the turn in progress and its live recognition, playback of
/// the answer (for barge-in and echo hold-off) and the idle timeout. Made at the first append or response audio, so a
/// session that sits idle or only exchanges text holds none of it. Touched only by the session loop.
/// </summary>
internal sealed class SpeechTurnState
{
    public List<TurnEvent>? TurnEvents;
    public TurnDetector? Detector;
    public InputAudioConverter? Converter;
    public float[] Samples16k = [];
    public string? SpeechItemId;
    public long SpeechStartMs;

    /// <summary>Recognition of the turn in progress: opened at speech start so decoding runs while the user speaks.</summary>
    public ISpeechRecognitionStream? LiveRecognition;
    public string? LiveRecognitionItemId;

    /// <summary>semantic_vad: eagerness, and the tail of the turn's partial transcript that decides the hold-off.</summary>
    public TurnEagerness? SemanticEagerness;

    // Made at the first partial transcript of a semantic_vad turn: other sessions never need it.
    public char[]? PartialTail;
    public int PartialTailLength;

    /// <summary>The response whose audio the user may be hearing, and the audio time its playback started.</summary>
    public ResponseRun? PlaybackRun;
    public long PlaybackStartMs;

    /// <summary>Audio time (ms since the first appended sample) at which the input buffer's first byte was appended.</summary>
    public long BufferStartMs;

    /// <summary>Audio time from which the idle timeout counts (after a response finished); null when not armed.</summary>
    public long? IdleSinceMs;

    /// <summary>
    /// Set when an append's turn detection waits for a batched VAD inference; the loop awaits it, then handles the
    /// turn events before anything else. <see cref="Samples16k"/> stays untouched meanwhile.
    /// </summary>
    public ValueTask? PendingTurnDetection;
}
