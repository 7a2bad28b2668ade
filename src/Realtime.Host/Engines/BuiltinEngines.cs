using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Builtin;
using Realtime.Engines.Local.Espeak;
using Realtime.Engines.Local.PocketSphinx;
using Realtime.Engines.Local.Silero;

namespace Realtime.Host.Engines;

/// <summary>
/// The embedded engines, created on first use and shared by every session and profile. Each one records
/// whether it is ready and, if not, why, for startup logs and /healthz.
/// </summary>
public sealed class BuiltinEngines : IDisposable
{
    private readonly ILogger _logger;
    private readonly string _sileroModelPath;
    private readonly Lazy<ISpeechDetector> _silero;
    private readonly Lazy<ISpeechDetector> _energy = new(() => new EnergySpeechDetector());
    private readonly Lazy<ISpeechRecognizer> _pocketSphinx;
    private readonly Lazy<ISpeechSynthesizer> _espeak;
    private readonly Lazy<IChatModel> _echo = new(() => new EchoChatModel());
    private readonly Dictionary<string, EngineStatus> _status = new(StringComparer.Ordinal);
    private readonly Lock _statusLock = new();
    private readonly string _pocketSphinxModels;

    /// <param name="pocketSphinxDecoders">
    /// Decoders kept for concurrent speakers: a stream holds one from speech start to its transcript, and decoding
    /// costs ~0.3 CPU-seconds per second of speech (measured), so about 3 speakers per core can be decoded in real
    /// time; 2 per core (the default) keeps memory at ~75 MB per decoder while turns rarely queue.
    /// </param>
    /// <param name="pocketSphinxModels">The en-us model directory (null: Debian's, from pocketsphinx-en-us).</param>
    public BuiltinEngines(string sileroModelPath, int pocketSphinxDecoders, ILogger<BuiltinEngines> logger, string? pocketSphinxModels = null)
    {
        _logger = logger;
        _sileroModelPath = sileroModelPath;
        _silero = new(CreateSilero);
        _pocketSphinxModels = string.IsNullOrEmpty(pocketSphinxModels) ? new PocketSphinxOptions().ModelDirectory : pocketSphinxModels;
        _pocketSphinx = new(() => Track("builtin:pocketsphinx", () => new PocketSphinxRecognizer(new PocketSphinxOptions { DecoderCount = pocketSphinxDecoders, ModelDirectory = _pocketSphinxModels })));
        _espeak = new(() => Track("builtin:espeak-ng", () => new EspeakSynthesizer()));
    }

    /// <summary>Engine name -> readiness, for /healthz.</summary>
    public IReadOnlyDictionary<string, EngineStatus> Status
    {
        get
        {
            lock (_statusLock)
            {
                return new Dictionary<string, EngineStatus>(_status, StringComparer.Ordinal);
            }
        }
    }

    public BackendRegistryBuiltins Factories => new()
    {
        SpeechDetector = (name, _) =>
        {
            CheckName("Vad", name);
            return name == "silero" ? _silero.Value : Track("builtin:energy", () => _energy.Value);
        },
        SpeechRecognizer = (name, _) =>
        {
            CheckName("Transcription", name);
            return _pocketSphinx.Value;
        },
        ChatModel = (name, _) =>
        {
            CheckName("Llm", name);
            return Track("builtin:echo", () => _echo.Value);
        },
        SpeechSynthesizer = (name, _) =>
        {
            CheckName("Tts", name);
            return _espeak.Value;
        },
    };

    /// <summary>
    /// Throws <see cref="FormatException"/> unless <paramref name="name"/> is a built-in engine for the stage
    /// (`Vad`, `Transcription`, `Llm`, `Tts`). Cheap, so configuration is checked at startup before any engine loads.
    /// </summary>
    public static void CheckName(string stage, string name)
    {
        string[] names = stage switch
        {
            "Vad" => ["silero", "energy"],
            "Transcription" => ["pocketsphinx"],
            "Llm" => ["echo"],
            "Tts" => ["espeak-ng", "espeak"],
            _ => [],
        };
        if (Array.IndexOf(names, name) < 0)
        {
            throw new FormatException($"Unknown built-in {stage} engine 'builtin:{name}'; use builtin:{string.Join(" or builtin:", names)}.");
        }
    }

    public void Dispose()
    {
        foreach (var lazy in new object[] { _silero, _pocketSphinx, _espeak })
        {
            if (lazy is Lazy<ISpeechDetector> { IsValueCreated: true } d && d.Value is IDisposable dd)
            {
                dd.Dispose();
            }
            else if (lazy is Lazy<ISpeechRecognizer> { IsValueCreated: true } r && r.Value is IDisposable rd)
            {
                rd.Dispose();
            }
            else if (lazy is Lazy<ISpeechSynthesizer> { IsValueCreated: true } s && s.Value is IDisposable sd)
            {
                sd.Dispose();
            }
        }
    }

    /// <summary>Silero when its model file is present and loads; otherwise the energy detector, with a warning saying why.</summary>
    private ISpeechDetector CreateSilero()
    {
        string? reason = null;
        if (!File.Exists(_sileroModelPath))
        {
            reason = $"Silero model not found at {_sileroModelPath} (scripts/setup.sh places it)";
        }
        else
        {
            try
            {
                var silero = new SileroSpeechDetector(_sileroModelPath);
                SetStatus("builtin:silero", new EngineStatus(true, $"model {_sileroModelPath}"));
                _logger.LogInformation("VAD builtin:silero active (model {Path})", _sileroModelPath);
                return silero;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                reason = $"Silero model failed to load: {ex.Message}";
            }
        }

        SetStatus("builtin:silero", new EngineStatus(false, reason + "; using builtin:energy"));
        _logger.LogWarning("VAD builtin:silero unavailable: {Reason}; falling back to builtin:energy", reason);
        return Track("builtin:energy", () => _energy.Value);
    }

    private T Track<T>(string name, Func<T> create)
    {
        try
        {
            T engine = create();
            lock (_statusLock)
            {
                if (!_status.ContainsKey(name))
                {
                    _status[name] = new EngineStatus(true, "loaded");
                    _logger.LogInformation("Engine {Engine} active", name);
                }
            }

            return engine;
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException or IOException)
        {
            // One line that says what is missing and how to get it; the exception's stack says nothing more to a user.
            string reason = MissingEngine.Explain(name, ex, _pocketSphinxModels);
            SetStatus(name, new EngineStatus(false, reason));
            _logger.LogError("{Reason}", reason);
            throw new EngineUnavailableException(reason, ex);
        }
    }

    private void SetStatus(string name, EngineStatus status)
    {
        lock (_statusLock)
        {
            _status[name] = status;
        }
    }
}

/// <summary>A built-in engine cannot start here; the message is the one-line explanation (see <see cref="MissingEngine"/>).</summary>
public sealed class EngineUnavailableException(string message, Exception inner) : InvalidOperationException(message, inner);

/// <summary>Whether an engine works, and a short human-readable detail (model path, or why it fell back).</summary>
public sealed record EngineStatus(bool Ready, string Detail);
