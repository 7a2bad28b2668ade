using System.Collections.Concurrent;
using Realtime.Engine.Backends;
using Realtime.Engine.Profiles;
using Realtime.Engine.Sessions;

namespace Realtime.Host.Engines;

/// <summary>
/// Checks every profile at construction (a malformed backend URI or an unknown built-in engine fails the start with
/// its key named) and builds the engines once, in <see cref="Load"/>: loading the models takes a few hundred
/// milliseconds, so <see cref="EngineWarmup"/> runs it beside Kestrel's start instead of before it. Hands the engines
/// to sessions by model name.
/// </summary>
public sealed class ProfileEngineResolver : ISessionEngineResolver
{
    private readonly Lazy<Dictionary<string, SessionEngines>> _engines;
    private readonly ILogger _logger;
    private int _fallbackLogged;
    private readonly ConcurrentDictionary<string, string> _unavailable = new(StringComparer.OrdinalIgnoreCase);

    public ProfileEngineResolver(IConfiguration configuration, BackendRegistry registry, ILogger<ProfileEngineResolver> logger)
    {
        _logger = logger;
        Dictionary<string, ModelProfileOptions> profiles = EngineProfiles.Read(configuration, out string defaultProfile, out bool strict);
        Catalog = new ProfileCatalog(profiles, defaultProfile, strict);
        Listings = profiles
            .Select(p => new ProfileListing(p.Key, p.Value.Aliases, string.Equals(p.Key, defaultProfile, StringComparison.OrdinalIgnoreCase)))
            .OrderByDescending(p => p.IsDefault).ThenBy(p => p.Name, StringComparer.Ordinal)
            .ToArray();
        var stages = new Dictionary<string, ProfileStages>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, profile) in profiles)
        {
            string prefix = $"Realtime:Models:{name}";
            stages[name] = new ProfileStages(
                Parse(profile.Vad, "Vad", prefix),
                Parse(profile.Transcription, "Transcription", prefix),
                Parse(profile.Llm, "Llm", prefix),
                Parse(profile.Tts, "Tts", prefix),
                profile);
        }

        _engines = new(() => Build(stages, registry), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public ProfileCatalog Catalog { get; }

    /// <summary>The profiles for `GET /v1/models`, the default first.</summary>
    public IReadOnlyList<ProfileListing> Listings { get; }

    /// <summary>Loads every profile's engines (idempotent; the first caller does the work, others wait for it).</summary>
    public void Load() => _ = _engines.Value;

    /// <summary>Profile -> why it cannot serve (a built-in engine it uses cannot start here); empty when all can.</summary>
    public IReadOnlyDictionary<string, string> Unavailable => _unavailable;

    /// <summary>Why the profile <paramref name="model"/> selects cannot serve sessions, or null when it can.</summary>
    public string? UnavailableReason(string? model)
    {
        Load();
        return Catalog.TryResolve(model, out string profile, out _) && _unavailable.TryGetValue(profile, out string? reason) ? reason : null;
    }

    public SessionEngines Resolve(string? model)
    {
        if (!Catalog.TryResolve(model, out string profile, out bool fellBack))
        {
            throw new InvalidOperationException($"Model '{model}' names no profile (Realtime:StrictModels is on).");
        }

        if (fellBack && Interlocked.Exchange(ref _fallbackLogged, 1) == 0)
        {
            _logger.LogInformation("Model {Model} names no profile; using the default profile {Profile} (logged once)", model, profile);
        }

        return _engines.Value.TryGetValue(profile, out SessionEngines? engines)
            ? engines
            : throw new InvalidOperationException(_unavailable.GetValueOrDefault(profile, $"Profile {profile} has no engines."));
    }

    private Dictionary<string, SessionEngines> Build(Dictionary<string, ProfileStages> stages, BackendRegistry registry)
    {
        var engines = new Dictionary<string, SessionEngines>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, stage) in stages)
        {
            // Every stage is tried, so a machine missing several pieces hears about all of them at once.
            var missing = new List<string>();
            var built = new SessionEngines(
                Vad: Stage(() => registry.GetSpeechDetector(stage.Vad, stage.Profile.Vad.Model), missing),
                Transcription: Stage(() => registry.GetSpeechRecognizer(stage.Transcription, stage.Profile.Transcription.Model), missing),
                Llm: Stage(() => registry.GetChatModel(stage.Llm, stage.Profile.Llm.Model), missing)!,
                Tts: Stage(() => registry.GetSpeechSynthesizer(stage.Tts, stage.Profile.Tts.Model), missing),
                ProfileName: name);
            if (missing.Count > 0)
            {
                // The server stays up: other profiles serve, /readyz says why this one cannot, its sessions are
                // refused with the same words (each engine logged its one line already).
                _unavailable[name] = string.Join(" ", missing);
                _logger.LogWarning("Profile {Profile} cannot serve sessions until that is fixed", name);
                continue;
            }

            engines[name] = built;
            _logger.LogInformation(
                "Profile {Profile}: VAD {Vad}, transcription {Stt}, LLM {Llm}, TTS {Tts}{Aliases}",
                name, built.Vad?.Name, built.Transcription?.Name, built.Llm.Name, built.Tts?.Name,
                stage.Profile.Aliases.Length > 0 ? $" (aliases {string.Join(", ", stage.Profile.Aliases)})" : string.Empty);
        }

        return engines;
    }

    private static T? Stage<T>(Func<T> create, List<string> missing)
        where T : class
    {
        try
        {
            return create();
        }
        catch (EngineUnavailableException e)
        {
            missing.Add(e.Message);
            return null;
        }
    }

    private static BackendUri Parse(StageOptions options, string stage, string prefix)
    {
        BackendUri uri = BackendUri.Parse(options.Backend, $"{prefix}:{stage}:Backend");
        if (uri.Kind == BackendUriKind.Builtin)
        {
            try
            {
                BuiltinEngines.CheckName(stage, uri.BuiltinName!);
            }
            catch (FormatException e)
            {
                throw new FormatException($"{prefix}:{stage}:Backend: {e.Message}", e);
            }
        }

        return uri;
    }

    private sealed record ProfileStages(BackendUri Vad, BackendUri Transcription, BackendUri Llm, BackendUri Tts, ModelProfileOptions Profile);
}
