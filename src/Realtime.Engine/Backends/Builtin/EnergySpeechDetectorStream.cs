namespace Realtime.Engine.Backends.Builtin;

/// <summary>Stateless: each frame is judged on its own level.</summary>
internal sealed class EnergySpeechDetectorStream : ISpeechDetectorStream
{
    public float Process(ReadOnlySpan<float> frame)
    {
        if (frame.Length != EnergySpeechDetector.FrameSize)
        {
            throw new ArgumentException($"Expected {EnergySpeechDetector.FrameSize} samples.", nameof(frame));
        }

        return EnergySpeechDetector.Probability(frame);
    }

    public void Reset()
    {
    }

    public void Dispose()
    {
    }
}
