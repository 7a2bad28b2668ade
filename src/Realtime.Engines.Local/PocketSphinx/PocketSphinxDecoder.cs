using System.Runtime.InteropServices;
using System.Text;

namespace Realtime.Engines.Local.PocketSphinx;

/// <summary>
/// One loaded ps_decoder_t. Not thread-safe: exactly one stream uses it at a time (the pool enforces that).
/// </summary>
internal sealed unsafe class PocketSphinxDecoder : IDisposable
{
    private nint _decoder;
    private nint _config;
    private bool _inUtterance;

    private PocketSphinxDecoder(nint decoder, nint config)
    {
        _decoder = decoder;
        _config = config;
    }

    public static PocketSphinxDecoder Load(PocketSphinxOptions options)
    {
        string[] arguments = Arguments(options);
        var argv = stackalloc byte*[arguments.Length];
        for (var i = 0; i < arguments.Length; i++)
        {
            argv[i] = (byte*)Marshal.StringToCoTaskMemUTF8(arguments[i]);
        }

        try
        {
            var config = PocketSphinxNative.ParseArguments(0, PocketSphinxNative.Args(), arguments.Length, argv, 1);
            if (config == 0)
            {
                throw new InvalidOperationException($"pocketsphinx rejected its configuration (models in {options.ModelDirectory}).");
            }

            var decoder = PocketSphinxNative.Init(config);
            if (decoder == 0)
            {
                _ = PocketSphinxNative.FreeArguments(config); // reference count drop; nothing to recover
                throw new InvalidOperationException($"pocketsphinx could not load its models from {options.ModelDirectory}.");
            }

            return new PocketSphinxDecoder(decoder, config);
        }
        finally
        {
            for (var i = 0; i < arguments.Length; i++)
            {
                Marshal.FreeCoTaskMem((nint)argv[i]);
            }
        }
    }

    /// <summary>
    /// The decoder's flags: the models and 16 kHz (the acoustic model's rate; its feat.params supplies the filterbank,
    /// CMN and -cmninit, and overrides any of those given here), the library's search defaults (bench/Realtime.Wer
    /// found no setting that helps on every path: README), then the extra flags of
    /// <see cref="PocketSphinxOptions.ExtraArguments"/>, which replace a built-in flag of the same name (the library
    /// rejects a flag given twice).
    /// </summary>
    internal static string[] Arguments(PocketSphinxOptions options)
    {
        var flags = new List<KeyValuePair<string, string>>
        {
            new("-hmm", options.AcousticModel),
            new("-lm", options.LanguageModel),
            new("-dict", options.Dictionary),
            new("-samprate", "16000"),
            // The library logs every utterance to stderr by default; the server has its own logs.
            new("-logfn", "/dev/null"),
        };
        for (var i = 0; i + 1 < options.ExtraArguments.Count; i += 2)
        {
            var name = options.ExtraArguments[i];
            var at = flags.FindIndex(f => f.Key == name);
            var flag = new KeyValuePair<string, string>(name, options.ExtraArguments[i + 1]);
            if (at >= 0)
            {
                flags[at] = flag;
            }
            else
            {
                flags.Add(flag);
            }
        }

        return [.. flags.SelectMany(f => new[] { f.Key, f.Value })];
    }

    public void StartUtterance()
    {
        if (PocketSphinxNative.StartUtterance(_decoder) < 0)
        {
            throw new InvalidOperationException("pocketsphinx could not start an utterance.");
        }

        _inUtterance = true;
    }

    public void Process(ReadOnlySpan<short> samples)
    {
        fixed (short* data = samples)
        {
            if (PocketSphinxNative.ProcessRaw(_decoder, data, (nuint)samples.Length, 0, 0) < 0)
            {
                throw new InvalidOperationException("pocketsphinx failed to process audio.");
            }
        }
    }

    /// <summary>The current best hypothesis as UTF-8 bytes owned by the decoder (valid until its next call).</summary>
    public ReadOnlySpan<byte> Hypothesis()
    {
        int score;
        var text = PocketSphinxNative.GetHypothesis(_decoder, &score);
        return text == null ? default : MemoryMarshal.CreateReadOnlySpanFromNullTerminated(text);
    }

    public string EndUtterance()
    {
        if (!_inUtterance)
        {
            return string.Empty;
        }

        _inUtterance = false;
        if (PocketSphinxNative.EndUtterance(_decoder) < 0)
        {
            throw new InvalidOperationException("pocketsphinx failed to finish the utterance.");
        }

        return Encoding.UTF8.GetString(Hypothesis());
    }

    /// <summary>Leaves the decoder ready for the next stream after an abandoned utterance.</summary>
    public void Abandon()
    {
        if (_inUtterance)
        {
            _inUtterance = false;
            _ = PocketSphinxNative.EndUtterance(_decoder); // best effort: the utterance is being discarded
        }
    }

    public void Dispose()
    {
        if (_decoder != 0)
        {
            _ = PocketSphinxNative.Free(_decoder);
            _decoder = 0;
        }

        if (_config != 0)
        {
            _ = PocketSphinxNative.FreeArguments(_config);
            _config = 0;
        }
    }
}
