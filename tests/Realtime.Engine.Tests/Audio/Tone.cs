namespace Realtime.Engine.Tests.Audio;

/// <summary>Test signals and measurements: sine generation and Goertzel amplitude at one frequency.</summary>
internal static class Tone
{
    public static float[] Sine(double frequency, int sampleRate, int samples, double amplitude = 0.5)
    {
        var result = new float[samples];
        for (int i = 0; i < samples; i++)
        {
            result[i] = (float)(amplitude * Math.Sin(2 * Math.PI * frequency * i / sampleRate));
        }

        return result;
    }

    public static short[] SinePcm(double frequency, int sampleRate, int samples, double amplitude = 0.5) =>
        Array.ConvertAll(Sine(frequency, sampleRate, samples, amplitude), x => (short)Math.Round(x * 32767));

    /// <summary>Amplitude of the component at <paramref name="frequency"/> (Goertzel over the whole span).</summary>
    public static double Amplitude(ReadOnlySpan<float> signal, double frequency, int sampleRate)
    {
        double omega = 2 * Math.PI * frequency / sampleRate;
        double coefficient = 2 * Math.Cos(omega);
        double s1 = 0, s2 = 0;
        foreach (float x in signal)
        {
            double s0 = x + (coefficient * s1) - s2;
            s2 = s1;
            s1 = s0;
        }

        double power = (s1 * s1) + (s2 * s2) - (coefficient * s1 * s2);
        return 2 * Math.Sqrt(Math.Max(power, 0)) / signal.Length;
    }

    /// <summary>Frequency estimated from upward zero crossings.</summary>
    public static double ZeroCrossingFrequency(ReadOnlySpan<float> signal, int sampleRate)
    {
        int first = -1, last = -1, crossings = 0;
        for (int i = 1; i < signal.Length; i++)
        {
            if (signal[i - 1] < 0 && signal[i] >= 0)
            {
                if (first < 0)
                {
                    first = i;
                }
                else
                {
                    crossings++;
                }

                last = i;
            }
        }

        return crossings * (double)sampleRate / (last - first);
    }
}
