using System.Runtime.InteropServices;

namespace Realtime.Engines.Local.PocketSphinx;

/// <summary>
/// Debian's pocketsphinx 0.8+5prealpha (libpocketsphinx.so.3 / libsphinxbase.so.3). Only the
/// non-variadic entry points are bound so the calls stay valid under AOT.
/// </summary>
internal static unsafe partial class PocketSphinxNative
{
    private const string Decoder = NativeLibraries.PocketSphinx;
    private const string Base = NativeLibraries.SphinxBase;

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

    /// <summary>Returns a decoder-owned UTF-8 string (valid until the next decoder call) or null.</summary>
    [LibraryImport(Decoder, EntryPoint = "ps_get_hyp")]
    internal static partial byte* GetHypothesis(nint decoder, int* bestScore);
}
