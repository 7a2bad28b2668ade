using System.Threading.Tasks.Sources;
using Microsoft.ML.OnnxRuntime;
using Realtime.Engine.Backends;

namespace Realtime.Engines.Local.Silero;

/// <summary>
/// One session's Silero state. The tensors wrap pinned arrays and are bound once, so <see cref="Process"/>
/// only copies 512 samples in and 256 state floats back. Not thread-safe.
/// <see cref="ProcessAsync"/> goes through the detector's shared <see cref="SileroBatcher"/>; the stream itself is
/// the (reusable) completion source of the frame in flight, so a batched frame allocates nothing either.
/// </summary>
internal sealed class SileroSpeechDetectorStream : ISpeechDetectorStream, IValueTaskSource<float>, IThreadPoolWorkItem
{
    private readonly SileroSpeechDetector _detector;
    private readonly float[] _input = GC.AllocateArray<float>(SileroSpeechDetector.InputSize, pinned: true);
    private readonly float[] _state = GC.AllocateArray<float>(SileroSpeechDetector.StateSize, pinned: true);
    private readonly float[] _stateOut = GC.AllocateArray<float>(SileroSpeechDetector.StateSize, pinned: true);
    private readonly float[] _output = GC.AllocateArray<float>(1, pinned: true);
    private readonly long[] _rate = GC.AllocateArray<long>(1, pinned: true);
    private readonly OrtValue[] _values;
    private readonly OrtIoBinding _binding;
    private readonly RunOptions _runOptions = new();
    private bool _disposed;
    private bool _inFlight;
    private float _result;
    private Exception? _error;

    // A waiter's continuation must never run on the batcher's thread (one session's event handling would delay the
    // rest of its batch and the next inference), so the batcher queues this stream itself to the thread pool
    // (IThreadPoolWorkItem: no allocation) and the completion runs the continuation inline there. The core's own
    // RunContinuationsAsynchronously would allocate a work item per frame for continuations that are not async
    // state machines.
    private ManualResetValueTaskSourceCore<float> _completion;

    public SileroSpeechDetectorStream(SileroSpeechDetector detector)
    {
        _detector = detector;
        _rate[0] = SileroSpeechDetector.SampleRate;
        _values =
        [
            OrtValue.CreateTensorValueFromMemory(_input, [1, SileroSpeechDetector.InputSize]),
            OrtValue.CreateTensorValueFromMemory(_state, [2, 1, SileroSpeechDetector.StateWidth]),
            OrtValue.CreateTensorValueFromMemory(_rate, [1]),
            OrtValue.CreateTensorValueFromMemory(_output, [1, 1]),
            OrtValue.CreateTensorValueFromMemory(_stateOut, [2, 1, SileroSpeechDetector.StateWidth]),
        ];
        _binding = detector.Session.CreateIoBinding();
        _binding.BindInput(SileroSpeechDetector.InputName, _values[0]);
        _binding.BindInput(SileroSpeechDetector.StateName, _values[1]);
        _binding.BindInput(SileroSpeechDetector.RateName, _values[2]);
        _binding.BindOutput(SileroSpeechDetector.OutputName, _values[3]);
        _binding.BindOutput(SileroSpeechDetector.StateOutputName, _values[4]);
    }

    internal float[] State => _state;

    /// <summary>Context (first 64) followed by the frame being processed.</summary>
    internal float[] Input => _input;

    public float Process(ReadOnlySpan<float> frame)
    {
        CheckCanProcess(frame);
        frame.CopyTo(_input.AsSpan(SileroSpeechDetector.ContextSize));
        _detector.Session.RunWithBinding(_runOptions, _binding);
        _stateOut.AsSpan().CopyTo(_state);
        AdvanceContext();
        return _output[0];
    }

    public ValueTask<float> ProcessAsync(ReadOnlyMemory<float> frame)
    {
        CheckCanProcess(frame.Span);
        frame.Span.CopyTo(_input.AsSpan(SileroSpeechDetector.ContextSize));
        _completion.Reset();
        _inFlight = true;
        try
        {
            _detector.Batcher.Submit(this);
        }
        catch
        {
            _inFlight = false;
            throw;
        }

        // Already complete when the batcher was idle and ran this frame inline: the caller continues synchronously.
        return new ValueTask<float>(this, _completion.Version);
    }

    /// <summary>
    /// Called by the batcher once this stream's state and context hold the frame's result. <paramref name="inline"/>:
    /// the frame was submitted by the thread that ran it, which has not returned from ProcessAsync yet, so nobody
    /// waits and the result is set here; otherwise it is set on a thread-pool thread, where the waiter continues.
    /// </summary>
    internal void Complete(float probability, bool inline)
    {
        _result = probability;
        _error = null;
        Signal(inline);
    }

    internal void Fail(Exception error, bool inline)
    {
        _error = error;
        Signal(inline);
    }

    private void Signal(bool inline)
    {
        if (inline)
        {
            ((IThreadPoolWorkItem)this).Execute();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    void IThreadPoolWorkItem.Execute()
    {
        _inFlight = false;
        if (_error is { } error)
        {
            _error = null;
            _completion.SetException(error);
        }
        else
        {
            _completion.SetResult(_result);
        }
    }

    float IValueTaskSource<float>.GetResult(short token) => _completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<float>.GetStatus(short token) => _completion.GetStatus(token);

    void IValueTaskSource<float>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _completion.OnCompleted(continuation, state, token, flags);

    private void CheckCanProcess(ReadOnlySpan<float> frame)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame.Length != SileroSpeechDetector.FrameSize)
        {
            throw new ArgumentException($"Expected {SileroSpeechDetector.FrameSize} samples.", nameof(frame));
        }

        if (_inFlight)
        {
            // The batcher owns the state until the frame completes; a second frame would race the recurrent state.
            throw new InvalidOperationException("A frame of this stream is still being processed; await it first.");
        }
    }

    public void Reset()
    {
        ThrowIfInFlight();
        Array.Clear(_state);
        Array.Clear(_input);
    }

    private void ThrowIfInFlight()
    {
        if (_inFlight)
        {
            throw new InvalidOperationException("A frame of this stream is still being processed; await it first.");
        }
    }

    /// <summary>The last 64 samples of this frame become the next frame's context.</summary>
    internal void AdvanceContext() =>
        _input.AsSpan(SileroSpeechDetector.FrameSize, SileroSpeechDetector.ContextSize).CopyTo(_input);

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        // A frame still in flight is harmless: the batcher only touches this stream's managed arrays, not its tensors.
        _disposed = true;
        _binding.Dispose();
        foreach (var value in _values)
        {
            value.Dispose();
        }

        _runOptions.Dispose();
    }
}
