using Microsoft.ML.OnnxRuntime;

namespace Realtime.Engine.Backends.Local;

/// <summary>
/// One session's Silero state. The tensors wrap pinned arrays and are bound once, so <see cref="Process"/>
/// only copies 512 samples in and 256 state floats back. Not thread-safe.
/// </summary>
internal sealed class SileroSpeechDetectorStream : ISpeechDetectorStream
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
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (frame.Length != SileroSpeechDetector.FrameSize)
        {
            throw new ArgumentException($"Expected {SileroSpeechDetector.FrameSize} samples.", nameof(frame));
        }

        frame.CopyTo(_input.AsSpan(SileroSpeechDetector.ContextSize));
        _detector.Session.RunWithBinding(_runOptions, _binding);
        _stateOut.AsSpan().CopyTo(_state);
        AdvanceContext();
        return _output[0];
    }

    public void Reset()
    {
        Array.Clear(_state);
        Array.Clear(_input);
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

        _disposed = true;
        _binding.Dispose();
        foreach (var value in _values)
        {
            value.Dispose();
        }

        _runOptions.Dispose();
    }
}
