using System.Runtime.InteropServices;

namespace Realtime.Engine.Backends.Local;

/// <summary>
/// Estimates an utterance's cepstral mean from its opening audio and hands it to the decoder's live normalisation.
/// Without it, pocketsphinx normalises with the model's -cmninit (or whatever the previous utterance on that pooled
/// decoder left behind) and does not move off it for the first ~3 s of speech, so a voice whose spectrum differs
/// from the training data loses its first utterance and the words depend on who used the decoder before.
/// Uses its own front end built from the decoder's configuration (same filterbank, same silence removal), so only
/// speech frames count. One per decoder; not thread-safe.
/// </summary>
internal sealed unsafe class PocketSphinxCepstralMean : IDisposable
{
    /// <summary>Frames of 10 ms estimated at most (the opening window) and at least (below that: keep the old mean).</summary>
    private const int MaxFrames = 256;
    private const int MinFrames = 20;

    // feat_t of sphinxbase 5prealpha (x86-64): cepsize at byte 16, n_stream at 20, cmn_struct at 88.
    private const int CepSizeOffset = 16;
    private const int StreamCountOffset = 20;
    private const int CmnOffset = 88;

    private readonly nint _frontEnd;
    private readonly nint _cmn;
    private readonly int _width;
    private readonly float* _cepstra;
    private readonly float** _rows;

    private PocketSphinxCepstralMean(nint frontEnd, nint cmn, int width)
    {
        _frontEnd = frontEnd;
        _cmn = cmn;
        _width = width;
        _cepstra = (float*)NativeMemory.AllocZeroed((nuint)(MaxFrames * width), sizeof(float));
        _rows = (float**)NativeMemory.Alloc(MaxFrames, (nuint)sizeof(float*));
        for (int i = 0; i < MaxFrames; i++)
        {
            _rows[i] = _cepstra + (i * width);
        }
    }

    /// <summary>Null when the library's layout is not the one this was written for (then the decoder keeps its own mean).</summary>
    public static PocketSphinxCepstralMean? Create(nint decoder, nint config)
    {
        nint features = PocketSphinxNative.GetFeatures(decoder);
        if (features == 0 || *(int*)(features + CepSizeOffset) != 13 || *(int*)(features + StreamCountOffset) != 1)
        {
            return null;
        }

        nint cmn = *(nint*)(features + CmnOffset);
        nint frontEnd = PocketSphinxNative.FrontEndInit(config);
        if (cmn == 0 || frontEnd == 0)
        {
            return null;
        }

        int width = PocketSphinxNative.FrontEndOutputSize(frontEnd);
        if (width != 13)
        {
            _ = PocketSphinxNative.FrontEndFree(frontEnd);
            return null;
        }

        return new PocketSphinxCepstralMean(frontEnd, cmn, width);
    }

    /// <summary>Sets the decoder's mean to that of the speech in <paramref name="opening"/>; false when it holds too little speech.</summary>
    public bool Apply(ReadOnlySpan<short> opening)
    {
        if (PocketSphinxNative.FrontEndStartUtterance(_frontEnd) < 0)
        {
            return false;
        }

        Span<float> sum = stackalloc float[_width];
        sum.Clear();
        int counted = 0;
        fixed (short* start = opening)
        {
            short* position = start;
            nuint remaining = (nuint)opening.Length;
            while (remaining > 0)
            {
                int frames = MaxFrames;
                int first;
                nuint before = remaining;
                if (PocketSphinxNative.FrontEndProcessFrames(_frontEnd, &position, &remaining, _rows, &frames, &first) < 0)
                {
                    return false;
                }

                for (int f = 0; f < frames; f++)
                {
                    float* frame = _rows[f];
                    // As pocketsphinx's own live normalisation does: frames of (near) zero energy do not count.
                    if (frame[0] < 0)
                    {
                        continue;
                    }

                    for (int c = 0; c < _width; c++)
                    {
                        sum[c] += frame[c];
                    }

                    counted++;
                }

                if (frames == 0 && remaining == before)
                {
                    break; // less than one frame left
                }
            }
        }

        if (counted < MinFrames)
        {
            return false;
        }

        for (int c = 0; c < _width; c++)
        {
            sum[c] /= counted;
        }

        fixed (float* mean = sum)
        {
            PocketSphinxNative.SetLiveCepstralMean(_cmn, mean);
        }

        return true;
    }

    public void Dispose()
    {
        _ = PocketSphinxNative.FrontEndFree(_frontEnd);
        NativeMemory.Free(_rows);
        NativeMemory.Free(_cepstra);
    }
}
