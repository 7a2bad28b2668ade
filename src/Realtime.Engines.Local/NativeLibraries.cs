using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.InteropServices;

namespace Realtime.Engines.Local;

/// <summary>
/// Where the built-in engines' native libraries are loaded from. The P/Invoke declarations name Debian's sonames
/// (<see cref="Espeak"/>, <see cref="PocketSphinx"/>); a configured replacement (another path or soname, e.g. a
/// self-built library) is loaded instead. Must be set before an engine first calls into its library.
/// </summary>
public static class NativeLibraries
{
    public const string Espeak = "libespeak-ng.so.1";
    public const string PocketSphinx = "libpocketsphinx.so.3";
    public const string SphinxBase = "libsphinxbase.so.3";

    private static readonly ConcurrentDictionary<string, string> Replacements = new(StringComparer.Ordinal);
    private static int _registered;

    /// <summary>Loads <paramref name="replacement"/> wherever the engines ask for <paramref name="soname"/>.</summary>
    public static void Replace(string soname, string replacement)
    {
        if (Interlocked.Exchange(ref _registered, 1) == 0)
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraries).Assembly, Resolve);
        }

        Replacements[soname] = replacement;
    }

    /// <summary>The library loaded for <paramref name="soname"/> (itself unless replaced).</summary>
    public static string NameOf(string soname) => Replacements.TryGetValue(soname, out var replacement) ? replacement : soname;

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath) =>
        Replacements.TryGetValue(name, out var replacement) ? NativeLibrary.Load(replacement, assembly, searchPath) : IntPtr.Zero;
}
