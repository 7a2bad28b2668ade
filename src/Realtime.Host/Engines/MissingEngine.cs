using Realtime.Engines.Local;

namespace Realtime.Host.Engines;

/// <summary>
/// Says in one line why a built-in engine cannot start on this machine, in terms a new user can act on: the missing
/// piece (library or model, with its Debian package), the command that installs it, and the setting that serves
/// the stage elsewhere. Startup logs it once; `/readyz` and refused sessions repeat it.
/// </summary>
internal static class MissingEngine
{
    public static string Explain(string engine, Exception error, string pocketSphinxModels) => engine switch
    {
        "builtin:espeak-ng" => Line(engine, "TTS", "Tts", "libespeak-ng1", error is DllNotFoundException or EntryPointNotFoundException
            ? $"{NativeLibraries.NameOf(NativeLibraries.Espeak)} is not installed (Debian package libespeak-ng1)"
            : $"{error.Message.TrimEnd('.')} (Debian package espeak-ng-data)"),
        "builtin:pocketsphinx" => Line(engine, "transcription", "Transcription", "pocketsphinx pocketsphinx-en-us", error is DllNotFoundException or EntryPointNotFoundException
            ? $"{NativeLibraries.NameOf(NativeLibraries.PocketSphinx)} or {NativeLibraries.NameOf(NativeLibraries.SphinxBase)} is not installed (Debian package pocketsphinx)"
            : $"its en-us model is not in {pocketSphinxModels} (Debian package pocketsphinx-en-us, or set Realtime:Engines:PocketSphinxModelDirectory)"),
        _ => $"{engine} cannot start: {error.Message}",
    };

    private static string Line(string engine, string stage, string stageKey, string packages, string missing) =>
        $"{engine} ({stage}) cannot start: {missing}. Install it with `bash scripts/setup.sh` or `sudo apt-get install -y {packages}`, " +
        $"or serve {stage} elsewhere with Realtime:Models:<profile>:{stageKey}:Backend=grpc://HOST:PORT or http://HOST:PORT/v1.";
}
