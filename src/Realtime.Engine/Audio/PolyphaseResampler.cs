using System.Collections.Concurrent;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Realtime.Engine.Audio;

/// <summary>
/// Streaming rational-ratio resampler: a Kaiser-windowed sinc low-pass split into <c>up</c> polyphase branches,
/// so each output sample is one contiguous dot product of <see cref="TapsPerPhase"/> inputs. Output sample n sits
/// at input time n·down/up exactly (the filter is centred, not causal), so the whole stream yields
/// ceil(inputs·up/down) samples once flushed. Not thread-safe; no allocation after construction.
/// </summary>
public sealed class PolyphaseResampler
{
    /// <summary>Input samples taken per internal pass (20 ms at 24 kHz): keeps a per-session buffer small (idle sessions are many) whatever the chunk size.</summary>
    public const int BlockSamples = 480;

    private const double StopbandAttenuationDb = 70;

    /// <summary>Passband edge as a fraction of the lower Nyquist frequency; speech needs far less than 0.85.</summary>
    private const double PassbandFraction = 0.85;

    /// <summary>Filters are immutable and depend only on the ratio; sessions share them (22.05→24 kHz is 40 KB).</summary>
    private static readonly ConcurrentDictionary<(int Up, int Down), float[]> SharedCoefficients = new();

    private readonly int _up;
    private readonly int _down;
    private readonly int _taps;
    private readonly int _half;
    private readonly float[] _coefficients; // _up rows of _taps
    private readonly float[] _buffer;
    private int _bufferCount;
    private long _bufferStart; // absolute input index of _buffer[0]; negative while the zero prelude is held
    private long _inputCount;
    private long _outputCount;
    private long _nextIndex; // floor(_outputCount * _down / _up)
    private int _nextPhase; // (_outputCount * _down) % _up

    public PolyphaseResampler(int inputRate, int outputRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(inputRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(outputRate);
        int divisor = Gcd(inputRate, outputRate);
        InputRate = inputRate;
        OutputRate = outputRate;
        _up = outputRate / divisor;
        _down = inputRate / divisor;

        // Cut-off and transition in cycles per input sample; the stopband starts at the lower of the two Nyquists.
        double stopEdge = 0.5 * Math.Min(1.0, (double)_up / _down);
        double passEdge = stopEdge * PassbandFraction;
        double cutoff = (stopEdge + passEdge) / 2;
        double transition = stopEdge - passEdge;
        int length = (int)Math.Ceiling((StopbandAttenuationDb - 8) / (2.285 * 2 * Math.PI * transition));
        _taps = (length + 15) / 16 * 16; // a multiple of every Vector<float> width, so dot products have no tail
        _half = _taps / 2;
        _coefficients = SharedCoefficients.GetOrAdd((_up, _down), static (_, state) => BuildCoefficients(state.Up, state.Taps, state.Cutoff), (Up: _up, Taps: _taps, Cutoff: cutoff));
        _buffer = new float[_taps + BlockSamples];
        Reset();
    }

    public int InputRate { get; }

    public int OutputRate { get; }

    public int TapsPerPhase => _taps;

    /// <summary>Upper bound of samples one <see cref="Process"/> call writes for <paramref name="inputSamples"/> inputs.</summary>
    public int MaxOutputSamples(int inputSamples) => (int)(((long)inputSamples * _up / _down) + 2);

    /// <summary>Upper bound of samples <see cref="Flush"/> writes.</summary>
    public int MaxFlushSamples => (int)(((long)_half * _up / _down) + 2);

    /// <summary>Resamples the next piece of the stream; returns samples written to <paramref name="output"/>.</summary>
    public int Process(ReadOnlySpan<float> input, Span<float> output)
    {
        int written = 0;
        while (!input.IsEmpty)
        {
            var window = InputWindow;
            int take = Math.Min(input.Length, window.Length);
            input[..take].CopyTo(window);
            input = input[take..];
            written += Advance(take, output[written..]);
        }

        return written;
    }

    /// <summary>
    /// Free space for the next input samples (at least <see cref="BlockSamples"/>), so a decoder can write into
    /// the filter's history directly instead of through a scratch buffer; follow with <see cref="Advance"/>.
    /// </summary>
    public Span<float> InputWindow => _buffer.AsSpan(_bufferCount);

    /// <summary>Takes <paramref name="count"/> samples written to <see cref="InputWindow"/>; returns samples written.</summary>
    public int Advance(int count, Span<float> output)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _buffer.Length - _bufferCount);
        _bufferCount += count;
        _inputCount += count;
        int written = Produce(output, long.MaxValue);
        Compact();
        return written;
    }

    /// <summary>Ends the stream: pads with silence so every remaining output is written, then resets.</summary>
    public int Flush(Span<float> output)
    {
        long total = ((_inputCount * _up) + _down - 1) / _down;
        int written = 0;
        while (_outputCount < total)
        {
            int pad = Math.Min(_half, _buffer.Length - _bufferCount);
            _buffer.AsSpan(_bufferCount, pad).Clear();
            _bufferCount += pad;
            written += Produce(output[written..], total);
            Compact();
        }

        Reset();
        return written;
    }

    /// <summary>Forget the stream: history becomes silence and the time base restarts at 0.</summary>
    public void Reset()
    {
        // Outputs near t=0 read _half-1 samples before the stream starts; those are held as zeros.
        _bufferStart = -(_half - 1);
        _bufferCount = _half - 1;
        _buffer.AsSpan(0, _bufferCount).Clear();
        _inputCount = 0;
        _outputCount = 0;
        _nextIndex = 0;
        _nextPhase = 0;
    }

    private int Produce(Span<float> output, long outputLimit)
    {
        long lastAvailable = _bufferStart + _bufferCount - 1;
        int written = 0;
        ReadOnlySpan<float> coefficients = _coefficients;
        ReadOnlySpan<float> buffer = _buffer;
        while (_nextIndex + _half <= lastAvailable && _outputCount < outputLimit)
        {
            int offset = (int)(_nextIndex - _half + 1 - _bufferStart);
            output[written++] = Dot(coefficients.Slice(_nextPhase * _taps, _taps), buffer.Slice(offset, _taps));
            _outputCount++;
            _nextPhase += _down;
            if (_nextPhase >= _up)
            {
                _nextIndex += _nextPhase / _up;
                _nextPhase %= _up;
            }
        }

        return written;
    }

    private void Compact()
    {
        long keepFrom = _nextIndex - _half + 1;
        int drop = (int)Math.Min(keepFrom - _bufferStart, _bufferCount);
        if (drop <= 0)
        {
            return;
        }

        _buffer.AsSpan(drop, _bufferCount - drop).CopyTo(_buffer);
        _bufferCount -= drop;
        _bufferStart += drop;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var va = MemoryMarshal.Cast<float, Vector<float>>(a);
        var vb = MemoryMarshal.Cast<float, Vector<float>>(b);
        var sum = Vector<float>.Zero;
        for (int i = 0; i < va.Length; i++)
        {
            sum += va[i] * vb[i];
        }

        return Vector.Sum(sum);
    }

    private static float[] BuildCoefficients(int phases, int taps, double cutoff)
    {
        double beta = 0.1102 * (StopbandAttenuationDb - 8.7);
        double half = taps / 2.0;
        double windowNorm = BesselI0(beta);
        var coefficients = new float[phases * taps];
        Span<double> row = stackalloc double[taps];
        for (int phase = 0; phase < phases; phase++)
        {
            double fraction = (double)phase / phases;
            double sum = 0;
            for (int k = 0; k < taps; k++)
            {
                // Distance from the output instant to input sample (i - half + 1 + k).
                double t = fraction + (taps / 2) - 1 - k;
                double ratio = t / half;
                double window = Math.Abs(ratio) >= 1 ? 0 : BesselI0(beta * Math.Sqrt(1 - (ratio * ratio))) / windowNorm;
                double x = 2 * cutoff * t;
                double sinc = Math.Abs(x) < 1e-12 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);
                row[k] = 2 * cutoff * sinc * window;
                sum += row[k];
            }

            // Unity DC gain in every phase; otherwise the phases' small gain differences modulate the signal.
            for (int k = 0; k < taps; k++)
            {
                coefficients[(phase * taps) + k] = (float)(row[k] / sum);
            }
        }

        return coefficients;
    }

    private static double BesselI0(double x)
    {
        double sum = 1;
        double term = 1;
        double quarterSquare = x * x / 4;
        for (int k = 1; k < 50; k++)
        {
            term *= quarterSquare / (k * k);
            sum += term;
            if (term < sum * 1e-17)
            {
                break;
            }
        }

        return sum;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
        {
            (a, b) = (b, a % b);
        }

        return a;
    }
}
