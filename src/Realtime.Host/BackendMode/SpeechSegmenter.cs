using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Host.BackendMode;

/// <summary>
/// Turns per-frame speech probabilities over a whole clip into LocalAI VAD segments (seconds). Hysteresis as in
/// Silero's own utilities: speech starts at 0.5, ends once the probability stays below 0.35 for 100 ms; a segment
/// still open at the end of the clip has end = 0, which is how LocalAI reports "the user is still speaking".
/// </summary>
internal static class SpeechSegmenter
{
    private const int SampleRate = 16_000;
    private const float StartThreshold = 0.5f;
    private const float EndThreshold = 0.35f;
    private const double MinSilenceSeconds = 0.1;

    public static VADResponse Detect(ISpeechDetector detector, IReadOnlyList<float> audio)
    {
        var response = new VADResponse();
        int frameSamples = detector.FrameSamples;
        double frameSeconds = frameSamples / (double)SampleRate;
        int silenceFrames = (int)Math.Ceiling(MinSilenceSeconds / frameSeconds);
        var frame = new float[frameSamples];
        using ISpeechDetectorStream stream = detector.OpenStream();

        bool speaking = false;
        int start = 0;
        int lastSpeech = 0;
        int frames = audio.Count / frameSamples;
        for (int f = 0; f < frames; f++)
        {
            for (int i = 0; i < frameSamples; i++)
            {
                frame[i] = audio[(f * frameSamples) + i];
            }

            float p = stream.Process(frame);
            if (!speaking)
            {
                if (p >= StartThreshold)
                {
                    speaking = true;
                    start = f;
                    lastSpeech = f;
                }
            }
            else if (p >= EndThreshold)
            {
                lastSpeech = f;
            }
            else if (f - lastSpeech >= silenceFrames)
            {
                response.Segments.Add(new VADSegment { Start = (float)(start * frameSeconds), End = (float)((lastSpeech + 1) * frameSeconds) });
                speaking = false;
            }
        }

        if (speaking)
        {
            response.Segments.Add(new VADSegment { Start = (float)(start * frameSeconds), End = 0f });
        }

        return response;
    }
}
