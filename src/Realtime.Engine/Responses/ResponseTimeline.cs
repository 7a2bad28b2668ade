using System.Diagnostics;

namespace Realtime.Engine.Responses;

/// <summary>
/// Splits the time from a response's start to its first output (the first audio delta of a spoken answer, the first
/// text delta of a text one) into what the backends took and what the gateway took itself, so the gateway's own
/// share of a turn's latency is a figure of its own (`realtime.gateway.own_time`) rather than a guess from totals.
/// </summary>
/// <remarks>
/// The critical path to the first audio is serial: the user's transcript (when the response waited for it), the
/// chat model up to the first speakable clause, the synthesizer up to its first audio. Each wait is measured where
/// it happens — around the awaits on the backend streams, so the gRPC or HTTP client's own decoding counts as
/// backend, as it does in the "backend alone" baseline — and everything else (inbox hops, the chunker, encoding,
/// writing the event) is the gateway's. Each counter has one writer: the session loop (transcript), the producer
/// (chat model), the synthesis task (synthesizer); the loop reads them after the first output message reached it
/// through the inbox, which orders those writes before its read.
/// </remarks>
public sealed class ResponseTimeline
{
    private readonly long _startedAt = Stopwatch.GetTimestamp();
    private long _deferredAt;
    private long _transcriptWait;
    private long _modelWait;
    private long _synthesisWait;
    private bool _modelDone;
    private bool _synthesisDone;
    private bool _recorded;

    /// <summary>The response waits for the user's transcript from now (session loop).</summary>
    public void TranscriptWaitStarted() => _deferredAt = Stopwatch.GetTimestamp();

    /// <summary>The transcript the response waited for was received by its reader at <paramref name="arrivedAt"/> (session loop).</summary>
    public void TranscriptArrived(long arrivedAt)
    {
        if (_deferredAt != 0 && arrivedAt > _deferredAt)
        {
            _transcriptWait = arrivedAt - _deferredAt;
        }
    }

    /// <summary>True while the chat model is still on the way to the first output (producer).</summary>
    public bool ModelOnCriticalPath => !_modelDone;

    /// <summary>The producer waited for the chat model from <paramref name="waitFrom"/> until now.</summary>
    public void ModelWaited(long waitFrom)
    {
        if (!_modelDone)
        {
            _modelWait += Stopwatch.GetTimestamp() - waitFrom;
        }
    }

    /// <summary>The chat model's part of the first output is done: the first clause went to synthesis, or the first text delta to the loop.</summary>
    public void ModelReachedFirstOutput() => _modelDone = true;

    /// <summary>True while the synthesizer has not yet produced the first audio (synthesis task).</summary>
    public bool SynthesisOnCriticalPath => !_synthesisDone;

    /// <summary>The synthesis task waited for the synthesizer from <paramref name="waitFrom"/> until now.</summary>
    public void SynthesisWaited(long waitFrom)
    {
        if (!_synthesisDone)
        {
            _synthesisWait += Stopwatch.GetTimestamp() - waitFrom;
        }
    }

    /// <summary>The first audio chunk came back from the synthesizer.</summary>
    public void SynthesisReachedFirstOutput() => _synthesisDone = true;

    /// <summary>
    /// The loop is handing the response's first output to the transport: returns the gateway's own time since the
    /// start (null after the first call).
    /// </summary>
    public TimeSpan? FirstOutput()
    {
        if (_recorded)
        {
            return null;
        }

        _recorded = true;
        long elapsed = Stopwatch.GetTimestamp() - _startedAt;
        long own = Math.Max(0, elapsed - _transcriptWait - _modelWait - _synthesisWait);
        return Stopwatch.GetElapsedTime(0, own);
    }
}
