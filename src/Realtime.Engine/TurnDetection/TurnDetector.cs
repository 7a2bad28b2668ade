using System.Threading.Tasks.Sources;
using Realtime.Engine.Backends;

namespace Realtime.Engine.TurnDetection;

/// <summary>
/// server_vad on audio time: feeds 16 kHz audio frame by frame to a speech detector stream and turns
/// probabilities into SpeechStarted/SpeechStopped events. One per session; not thread-safe.
/// </summary>
/// <remarks>
/// Speech starts when probability stays at or above <c>threshold</c> (never dipping below the exit threshold,
/// <c>threshold - 0.15</c>) for <see cref="MinSpeechMs"/>, so clicks and noise bursts do not open a turn. It stops
/// once probability has stayed below the exit threshold for <c>silence_duration_ms</c>; probabilities between the
/// two thresholds neither end the pause nor extend it, as in Silero's own iterator. The prefix padding of a new
/// turn never reaches back before the previous turn's end (or the last clear): that audio was already committed.
/// <para>
/// Echo guard: while the assistant's audio may be playing (audio time before <see cref="EchoGuardUntilMs"/>), a
/// frame counts towards a speech start only when its probability is at least <c>max(threshold, 0.8)</c> AND its
/// RMS level is at least <see cref="EchoMinRms"/> (-30 dBFS), and such frames must follow each other for
/// <see cref="EchoMinSpeechMs"/> instead of <see cref="MinSpeechMs"/>. Speaker echo picked up by the microphone
/// is quieter than a user talking into it; a user who talks over the assistant still barges in, 160 ms later.
/// </para>
/// </remarks>
public sealed class TurnDetector : IDisposable, IValueTaskSource
{
    /// <summary>Speech must last this long before SpeechStarted; shorter bursts are treated as noise.</summary>
    public const int MinSpeechMs = 90;

    /// <summary>Speech start under the echo guard must last this long.</summary>
    public const int EchoMinSpeechMs = 250;

    /// <summary>Minimum frame RMS (full scale = 1) of speech under the echo guard: -30 dBFS.</summary>
    public const float EchoMinRms = 0.0316f;

    /// <summary>Minimum speech probability under the echo guard (or the threshold, if higher).</summary>
    public const float EchoMinProbability = 0.8f;

    private const float Hysteresis = 0.15f;
    private const int SampleRate = 16_000;

    private readonly ISpeechDetectorStream _stream;
    private readonly float[] _frame;
    private int _frameFill;
    private long _samplesFed;
    private long _processedSamples; // samples of complete frames handed to the detector
    private bool _inSpeech;
    private long _candidateStartSample = -1; // first frame of not yet confirmed speech
    private long _silenceStartSample = -1; // first frame of the current pause while in speech
    private long _floorMs; // audio before this was committed or cleared: padding must not reach back into it
    private bool _disposed;

    // ProcessAsync in progress: the samples still to feed, where events go, and the frame waiting for the detector.
    private readonly Action _onFrameDone;
    private ManualResetValueTaskSourceCore<bool> _detection;
    private ReadOnlyMemory<float> _pendingSamples;
    private List<TurnEvent>? _pendingEvents;
    private ValueTask<float>? _pendingFrame;
    private bool _pendingGuarded;
    private bool _pendingLoudEnough;

    public TurnDetector(ISpeechDetector detector, TurnDetectionSettings settings)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _frame = new float[detector.FrameSamples];
        _stream = detector.OpenStream();
        _onFrameDone = OnFrameDone;
    }

    /// <summary>Current settings; replaced by session.update between appends.</summary>
    public TurnDetectionSettings Settings { get; set; } = new();

    /// <summary>
    /// Silence that ends a turn, overriding <see cref="TurnDetectionSettings.SilenceDurationMs"/> when zero or more:
    /// semantic_vad moves it as the partial transcript grows. Checked every frame, so a change applies to the pause
    /// in progress.
    /// </summary>
    public int EndOfTurnSilenceMs { get; set; } = -1;

    /// <summary>Audio time (ms) until which the assistant's own voice may be heard: speech starts need more (see remarks).</summary>
    public long EchoGuardUntilMs { get; set; }

    /// <summary>Milliseconds of audio fed so far (the audio clock).</summary>
    public long AudioMs => SamplesToMs(_samplesFed);

    /// <summary>True between SpeechStarted and SpeechStopped.</summary>
    public bool InSpeech => _inSpeech;

    /// <summary>Feeds audio; appends any turn events found, in order, to <paramref name="events"/>.</summary>
    public void Process(ReadOnlySpan<float> samples16k, List<TurnEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(_disposed, this);
        _samplesFed += samples16k.Length;
        while (!samples16k.IsEmpty)
        {
            bool full = FillFrame(samples16k, out int taken);
            samples16k = samples16k[taken..];
            if (full)
            {
                long frameStart = _processedSamples;
                (bool guarded, bool loudEnough) = EchoCheck(frameStart);
                FinishFrame(_stream.Process(_frame), frameStart, guarded, loudEnough, events);
            }
        }
    }

    /// <summary>Copies what fits of <paramref name="samples"/> into the frame; true when that filled it (it then starts over).</summary>
    private bool FillFrame(ReadOnlySpan<float> samples, out int taken)
    {
        taken = Math.Min(samples.Length, _frame.Length - _frameFill);
        samples[..taken].CopyTo(_frame.AsSpan(_frameFill));
        _frameFill += taken;
        if (_frameFill < _frame.Length)
        {
            return false;
        }

        _frameFill = 0;
        return true;
    }

    /// <summary>The echo guard needs the full frame's level; taken before the detector may touch the buffer.</summary>
    private (bool Guarded, bool LoudEnough) EchoCheck(long frameStart)
    {
        bool guarded = !_inSpeech && SamplesToMs(frameStart) < EchoGuardUntilMs;
        return (guarded, !guarded || Rms(_frame) >= EchoMinRms);
    }

    /// <summary>
    /// <see cref="Process"/> for the session loop: frames go through the detector's <c>ProcessAsync</c>, so frames of
    /// sessions speaking at the same time are inferred together. Completes synchronously whenever the detector
    /// answers inline (one speaker, energy detector). <paramref name="samples16k"/> and <paramref name="events"/> are
    /// this detector's until the task completes; the events are the same, in the same order, as <see cref="Process"/>
    /// appends. One call at a time.
    /// </summary>
    /// <remarks>
    /// Hand-written rather than an async method: the task is this detector (a reusable source) and each frame's
    /// continuation is one cached delegate, so a call that waits for a batch allocates nothing. An async method's
    /// pooled state machines would not do: the runtime caches one per thread and one per core, while hundreds of
    /// sessions wait at once. The continuation (the session loop) runs on the thread that completed the last frame.
    /// </remarks>
    public ValueTask ProcessAsync(ReadOnlyMemory<float> samples16k, List<TurnEvent> events)
    {
        ArgumentNullException.ThrowIfNull(events);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_pendingEvents is not null)
        {
            throw new InvalidOperationException("The previous ProcessAsync has not completed.");
        }

        // Before the first frame is submitted: its completion may run on another thread before this returns.
        _detection.Reset();
        _samplesFed += samples16k.Length;
        _pendingSamples = samples16k;
        _pendingEvents = events;
        bool done;
        try
        {
            done = Advance();
        }
        catch
        {
            _pendingSamples = default;
            _pendingEvents = null;
            throw;
        }

        if (!done)
        {
            // From here the frame's completion owns the pending state (it may already be running elsewhere).
            return new ValueTask(this, _detection.Version);
        }

        _pendingSamples = default;
        _pendingEvents = null;
        return default;
    }

    /// <summary>Feeds the pending samples frame by frame; false when a frame waits for the detector.</summary>
    private bool Advance()
    {
        while (!_pendingSamples.IsEmpty)
        {
            bool full = FillFrame(_pendingSamples.Span, out int taken);
            _pendingSamples = _pendingSamples[taken..];
            if (full)
            {
                long frameStart = _processedSamples;
                (bool guarded, bool loudEnough) = EchoCheck(frameStart);
                ValueTask<float> frame = _stream.ProcessAsync(_frame);
                if (!frame.IsCompleted)
                {
                    _pendingFrame = frame;
                    _pendingGuarded = guarded;
                    _pendingLoudEnough = loudEnough;
                    frame.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_onFrameDone);
                    return false;
                }

                FinishFrame(frame.GetAwaiter().GetResult(), frameStart, guarded, loudEnough, _pendingEvents!);
            }
        }

        return true;
    }

    /// <summary>A frame that waited for the detector is done: act on it, go on with the rest of the samples.</summary>
    private void OnFrameDone()
    {
        try
        {
            float probability = _pendingFrame!.Value.GetAwaiter().GetResult();
            _pendingFrame = null;
            FinishFrame(probability, _processedSamples, _pendingGuarded, _pendingLoudEnough, _pendingEvents!);
            if (!Advance())
            {
                return;
            }
        }
        catch (Exception e)
        {
            _pendingFrame = null;
            _pendingSamples = default;
            _pendingEvents = null;
            _detection.SetException(e);
            return;
        }

        _pendingSamples = default;
        _pendingEvents = null;
        _detection.SetResult(true);
    }

    private void FinishFrame(float probability, long frameStart, bool guarded, bool loudEnough, List<TurnEvent> events)
    {
        Observability.EngineMetrics.VadFrame();
        _processedSamples += _frame.Length;
        OnFrame(probability, frameStart, _processedSamples, guarded, loudEnough, events);
    }

    void IValueTaskSource.GetResult(short token) => _detection.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _detection.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _detection.OnCompleted(continuation, state, token, flags);

    /// <summary>Discards pending speech (input_audio_buffer.clear); the audio clock keeps running.</summary>
    /// <summary>A remote detector's failure since its last answer, once (see <see cref="ISpeechDetectorStream.TakeFailure"/>).</summary>
    public Exception? TakeDetectorFailure() => _stream.TakeFailure();

    public void CancelSpeech()
    {
        _inSpeech = false;
        _candidateStartSample = -1;
        _silenceStartSample = -1;
        _floorMs = AudioMs;
        _stream.Reset();
    }

    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _stream.Dispose();
        }
    }

    private void OnFrame(float probability, long frameStart, long frameEnd, bool guarded, bool loudEnough, List<TurnEvent> events)
    {
        var settings = Settings;
        float threshold = settings.Threshold;
        float exitThreshold = Math.Max(threshold - Hysteresis, 0.01f);
        if (!_inSpeech)
        {
            int minSpeechMs = MinSpeechMs;
            if (guarded)
            {
                minSpeechMs = EchoMinSpeechMs;
                if (probability < Math.Max(threshold, EchoMinProbability) || !loudEnough)
                {
                    // Under the guard every frame of the start must pass: echo is quiet, not intermittent.
                    _candidateStartSample = -1;
                    return;
                }
            }

            if (probability >= threshold)
            {
                if (_candidateStartSample < 0)
                {
                    _candidateStartSample = frameStart;
                }
            }
            else if (probability < exitThreshold)
            {
                _candidateStartSample = -1;
            }

            if (_candidateStartSample >= 0 && SamplesToMs(frameEnd - _candidateStartSample) >= minSpeechMs)
            {
                _inSpeech = true;
                _silenceStartSample = -1;
                long startMs = Math.Max(_floorMs, SamplesToMs(_candidateStartSample) - settings.PrefixPaddingMs);
                _candidateStartSample = -1;
                events.Add(new TurnEvent(TurnEventKind.SpeechStarted, startMs));
            }

            return;
        }

        if (probability >= threshold)
        {
            _silenceStartSample = -1;
        }
        else if (probability < exitThreshold && _silenceStartSample < 0)
        {
            _silenceStartSample = frameStart;
        }

        int silenceMs = EndOfTurnSilenceMs >= 0 ? EndOfTurnSilenceMs : settings.SilenceDurationMs;
        if (_silenceStartSample >= 0 && SamplesToMs(frameEnd - _silenceStartSample) >= silenceMs)
        {
            _inSpeech = false;
            _silenceStartSample = -1;
            // Decided at the end of this frame: speech end + silence, rounded up to the frame grid.
            _floorMs = SamplesToMs(frameEnd);
            events.Add(new TurnEvent(TurnEventKind.SpeechStopped, _floorMs));
        }
    }

    private static long SamplesToMs(long samples) => samples * 1000 / SampleRate;

    private static float Rms(ReadOnlySpan<float> frame)
    {
        float sum = 0;
        foreach (float sample in frame)
        {
            sum += sample * sample;
        }

        return MathF.Sqrt(sum / frame.Length);
    }
}
