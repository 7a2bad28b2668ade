using Microsoft.ML.OnnxRuntime;
using Realtime.Engine.Backends;

namespace Realtime.Engines.Local.Silero;

/// <summary>
/// Runs one frame of each of up to <see cref="Capacity"/> streams as a single inference ([n, 576] input,
/// [2, n, 128] state), amortising per-call overhead across sessions. Tensors for each batch size are bound on
/// first use and reused. Not thread-safe; streams must come from the same detector.
/// </summary>
public sealed class SileroBatch : IDisposable
{
    private readonly SileroSpeechDetector _detector;
    private readonly float[] _input;
    private readonly float[] _state;
    private readonly float[] _stateOut;
    private readonly float[] _output;
    private readonly long[] _rate = GC.AllocateArray<long>(1, pinned: true);
    private readonly Binding?[] _bindings;
    private readonly RunOptions _runOptions = new();

    internal SileroBatch(SileroSpeechDetector detector, int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _detector = detector;
        Capacity = capacity;
        _input = GC.AllocateArray<float>(capacity * SileroSpeechDetector.InputSize, pinned: true);
        _state = GC.AllocateArray<float>(capacity * SileroSpeechDetector.StateSize, pinned: true);
        _stateOut = GC.AllocateArray<float>(capacity * SileroSpeechDetector.StateSize, pinned: true);
        _output = GC.AllocateArray<float>(capacity, pinned: true);
        _rate[0] = SileroSpeechDetector.SampleRate;
        _bindings = new Binding?[capacity + 1];
    }

    public int Capacity { get; }

    /// <summary>
    /// Processes frame i (512 samples at <c>frames[i*512..]</c>) for <c>streams[i]</c>; writes speech probabilities.
    /// Equivalent to calling each stream's Process in turn.
    /// </summary>
    public void ProcessBatch(ReadOnlySpan<ISpeechDetectorStream> streams, ReadOnlySpan<float> frames, Span<float> probabilities)
    {
        int count = streams.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        ArgumentOutOfRangeException.ThrowIfLessThan(frames.Length, count * SileroSpeechDetector.FrameSize);
        if (count == 0)
        {
            return;
        }

        const int Width = SileroSpeechDetector.StateWidth;
        for (int b = 0; b < count; b++)
        {
            var stream = (SileroSpeechDetectorStream)streams[b];
            var row = _input.AsSpan(b * SileroSpeechDetector.InputSize, SileroSpeechDetector.InputSize);
            stream.Input.AsSpan(0, SileroSpeechDetector.ContextSize).CopyTo(row);
            frames.Slice(b * SileroSpeechDetector.FrameSize, SileroSpeechDetector.FrameSize).CopyTo(row[SileroSpeechDetector.ContextSize..]);
            for (int layer = 0; layer < 2; layer++)
            {
                stream.State.AsSpan(layer * Width, Width).CopyTo(_state.AsSpan(((layer * count) + b) * Width, Width));
            }
        }

        var binding = _bindings[count] ??= new Binding(this, count);
        _detector.Session.RunWithBinding(_runOptions, binding.IoBinding);

        for (int b = 0; b < count; b++)
        {
            var stream = (SileroSpeechDetectorStream)streams[b];
            for (int layer = 0; layer < 2; layer++)
            {
                _stateOut.AsSpan(((layer * count) + b) * Width, Width).CopyTo(stream.State.AsSpan(layer * Width, Width));
            }

            // The stream's context must continue from this frame, as if it had run alone.
            frames.Slice(((b + 1) * SileroSpeechDetector.FrameSize) - SileroSpeechDetector.ContextSize, SileroSpeechDetector.ContextSize)
                .CopyTo(stream.Input);
            probabilities[b] = _output[b];
        }
    }

    /// <summary>
    /// Runs the frame each stream holds in its input buffer (context + frame, written by its ProcessAsync) as one
    /// inference, and advances every stream's state and context as its own Process would have.
    /// </summary>
    internal void ProcessSubmitted(ReadOnlySpan<SileroSpeechDetectorStream> streams, Span<float> probabilities)
    {
        int count = streams.Length;
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, Capacity);
        if (count == 0)
        {
            return;
        }

        const int Width = SileroSpeechDetector.StateWidth;
        for (int b = 0; b < count; b++)
        {
            SileroSpeechDetectorStream stream = streams[b];
            stream.Input.CopyTo(_input.AsSpan(b * SileroSpeechDetector.InputSize, SileroSpeechDetector.InputSize));
            for (int layer = 0; layer < 2; layer++)
            {
                stream.State.AsSpan(layer * Width, Width).CopyTo(_state.AsSpan(((layer * count) + b) * Width, Width));
            }
        }

        var binding = _bindings[count] ??= new Binding(this, count);
        _detector.Session.RunWithBinding(_runOptions, binding.IoBinding);

        for (int b = 0; b < count; b++)
        {
            SileroSpeechDetectorStream stream = streams[b];
            for (int layer = 0; layer < 2; layer++)
            {
                _stateOut.AsSpan(((layer * count) + b) * Width, Width).CopyTo(stream.State.AsSpan(layer * Width, Width));
            }

            stream.AdvanceContext();
            probabilities[b] = _output[b];
        }
    }

    public void Dispose()
    {
        foreach (var binding in _bindings)
        {
            binding?.Dispose();
        }

        _runOptions.Dispose();
    }

    private sealed class Binding : IDisposable
    {
        private readonly OrtValue[] _values;

        public Binding(SileroBatch batch, int count)
        {
            var memory = OrtMemoryInfo.DefaultInstance;
            _values =
            [
                OrtValue.CreateTensorValueFromMemory(memory, batch._input.AsMemory(0, count * SileroSpeechDetector.InputSize), [count, SileroSpeechDetector.InputSize]),
                OrtValue.CreateTensorValueFromMemory(memory, batch._state.AsMemory(0, count * SileroSpeechDetector.StateSize), [2, count, SileroSpeechDetector.StateWidth]),
                OrtValue.CreateTensorValueFromMemory(batch._rate, [1]),
                OrtValue.CreateTensorValueFromMemory(memory, batch._output.AsMemory(0, count), [count, 1]),
                OrtValue.CreateTensorValueFromMemory(memory, batch._stateOut.AsMemory(0, count * SileroSpeechDetector.StateSize), [2, count, SileroSpeechDetector.StateWidth]),
            ];
            IoBinding = batch._detector.Session.CreateIoBinding();
            IoBinding.BindInput(SileroSpeechDetector.InputName, _values[0]);
            IoBinding.BindInput(SileroSpeechDetector.StateName, _values[1]);
            IoBinding.BindInput(SileroSpeechDetector.RateName, _values[2]);
            IoBinding.BindOutput(SileroSpeechDetector.OutputName, _values[3]);
            IoBinding.BindOutput(SileroSpeechDetector.StateOutputName, _values[4]);
        }

        public OrtIoBinding IoBinding { get; }

        public void Dispose()
        {
            IoBinding.Dispose();
            foreach (var value in _values)
            {
                value.Dispose();
            }
        }
    }
}
