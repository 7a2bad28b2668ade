namespace Realtime.Engines.Local.PocketSphinx;

/// <summary>Where the acoustic model, language model and dictionary live, and how many decoders to keep loaded.</summary>
public sealed class PocketSphinxOptions
{
    /// <summary>Debian's pocketsphinx-en-us layout.</summary>
    public string ModelDirectory { get; init; } = "/usr/share/pocketsphinx/model/en-us";

    public string AcousticModel => Path.Combine(ModelDirectory, "en-us");

    public string LanguageModel => Path.Combine(ModelDirectory, "en-us.lm.bin");

    public string Dictionary => Path.Combine(ModelDirectory, "cmudict-en-us.dict");

    /// <summary>Decoders kept loaded; a stream holds one for its utterance, so this bounds concurrent decoding.</summary>
    public int DecoderCount { get; init; } = Environment.ProcessorCount;

    /// <summary>More pocketsphinx flags (name, value, ...) after the built-in ones; for trying settings (bench/Realtime.Wer).</summary>
    public IReadOnlyList<string> ExtraArguments { get; init; } = [];
}
