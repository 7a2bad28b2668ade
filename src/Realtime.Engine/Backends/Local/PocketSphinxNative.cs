using System.Runtime.InteropServices;

namespace Realtime.Engine.Backends.Local;

/// <summary>
/// Debian's pocketsphinx 0.8+5prealpha (libpocketsphinx.so.3 / libsphinxbase.so.3). Only the
/// non-variadic entry points are bound so the calls stay valid under AOT.
/// </summary>
internal static unsafe partial class PocketSphinxNative
{
    private const string Decoder = "libpocketsphinx.so.3";
    private const string Base = "libsphinxbase.so.3";

    [LibraryImport(Decoder, EntryPoint = "ps_args")]
    internal static partial nint Args();

    [LibraryImport(Base, EntryPoint = "cmd_ln_parse_r")]
    internal static partial nint ParseArguments(nint config, nint definitions, int argc, byte** argv, int strict);

    [LibraryImport(Base, EntryPoint = "cmd_ln_free_r")]
    internal static partial int FreeArguments(nint config);

    [LibraryImport(Decoder, EntryPoint = "ps_init")]
    internal static partial nint Init(nint config);

    [LibraryImport(Decoder, EntryPoint = "ps_free")]
    internal static partial int Free(nint decoder);

    [LibraryImport(Decoder, EntryPoint = "ps_start_utt")]
    internal static partial int StartUtterance(nint decoder);

    [LibraryImport(Decoder, EntryPoint = "ps_process_raw")]
    internal static partial int ProcessRaw(nint decoder, short* data, nuint samples, int noSearch, int fullUtterance);

    [LibraryImport(Decoder, EntryPoint = "ps_end_utt")]
    internal static partial int EndUtterance(nint decoder);

    [LibraryImport(Decoder, EntryPoint = "ps_get_feat")]
    internal static partial nint GetFeatures(nint decoder);

    /// <summary>Sets the live cepstral mean (and its weight of 500 frames) that normalises the next frames.</summary>
    [LibraryImport(Base, EntryPoint = "cmn_live_set")]
    internal static partial void SetLiveCepstralMean(nint cmn, float* mean);

    [LibraryImport(Base, EntryPoint = "fe_init_auto_r")]
    internal static partial nint FrontEndInit(nint config);

    [LibraryImport(Base, EntryPoint = "fe_free")]
    internal static partial int FrontEndFree(nint frontEnd);

    [LibraryImport(Base, EntryPoint = "fe_start_utt")]
    internal static partial int FrontEndStartUtterance(nint frontEnd);

    [LibraryImport(Base, EntryPoint = "fe_get_output_size")]
    internal static partial int FrontEndOutputSize(nint frontEnd);

    /// <summary>Cepstra of as many whole frames as fit; advances the sample pointer and count past what it used.</summary>
    [LibraryImport(Base, EntryPoint = "fe_process_frames")]
    internal static partial int FrontEndProcessFrames(nint frontEnd, short** samples, nuint* sampleCount, float** cepstra, int* frameCount, int* firstFrame);

    /// <summary>Returns a decoder-owned UTF-8 string (valid until the next decoder call) or null.</summary>
    [LibraryImport(Decoder, EntryPoint = "ps_get_hyp")]
    internal static partial byte* GetHypothesis(nint decoder, int* bestScore);
}
