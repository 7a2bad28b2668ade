using System.Diagnostics;
using Realtime.Engine.Backends;

namespace Realtime.Wer;

/// <summary>Cost of N people speaking at once: CPU per second of speech and resident memory per decoder.</summary>
public sealed record SpeakerLoad(int Speakers, double AudioSeconds, double WallSeconds, double CpuSeconds, long ResidentBytesPerSpeaker)
{
    /// <summary>CPU seconds per second of speech, for one speaker on one core (below 1: real time on one core).</summary>
    public double RealTimeFactor => CpuSeconds / AudioSeconds;

    /// <summary>
    /// Decodes <paramref name="audio"/> in <paramref name="speakers"/> concurrent streams, written as fast as
    /// possible, on a recognizer made for that many speakers; resident memory is measured before it was created
    /// and after every decoder has been used.
    /// </summary>
    public static async Task<SpeakerLoad> MeasureAsync(Func<int, ISpeechRecognizer> create, int speakers, float[] audio, CancellationToken cancellationToken)
    {
        GC.Collect();
        long residentBefore = Resident();
        ISpeechRecognizer recognizer = create(speakers);
        try
        {
            TimeSpan cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
            var wall = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, speakers).Select(_ => Task.Run(() => DecodeAsync(recognizer, audio, cancellationToken), cancellationToken)));
            double wallSeconds = wall.Elapsed.TotalSeconds;
            double cpu = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
            GC.Collect();
            long perSpeaker = (Resident() - residentBefore) / speakers;
            return new SpeakerLoad(speakers, speakers * audio.Length / 16_000.0, wallSeconds, cpu, perSpeaker);
        }
        finally
        {
            (recognizer as IDisposable)?.Dispose();
        }
    }

    private static async Task DecodeAsync(ISpeechRecognizer recognizer, float[] audio, CancellationToken cancellationToken)
    {
        await using ISpeechRecognitionStream stream = recognizer.Open(new RecognitionOptions(null, "en", null), cancellationToken);
        for (int offset = 0; offset < audio.Length; offset += 320)
        {
            stream.Write(audio.AsSpan(offset, Math.Min(320, audio.Length - offset)));
        }

        stream.Complete();
        await foreach (TranscriptUpdate _ in stream.ReadAsync(cancellationToken))
        {
            // Only the cost counts here.
        }
    }

    private static long Resident()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(6).Trim().TrimEnd("kB").Trim(), System.Globalization.CultureInfo.InvariantCulture) * 1024;
            }
        }

        return 0;
    }
}
