using Realtime.Engine.Backends;
using Realtime.Engine.Profiles;
using Realtime.Engine.Sessions;

namespace Realtime.Host.Engines;

/// <summary>
/// Builds every profile's engines once at startup (so a malformed backend URI fails the start with its key
/// named, and built-in engines are loaded before the first session) and hands them to sessions by model name.
/// </summary>
public sealed class ProfileEngineResolver : ISessionEngineResolver
{
    private readonly Dictionary<string, SessionEngines> _engines = new(StringComparer.OrdinalIgnoreCase);
    private readonly ILogger _logger;
    private int _fallbackLogged;

    public ProfileEngineResolver(IConfiguration configuration, BackendRegistry registry, ILogger<ProfileEngineResolver> logger)
    {
        _logger = logger;
        Dictionary<string, ModelProfileOptions> profiles = EngineProfiles.Read(configuration, out string defaultProfile, out bool strict);
        Catalog = new ProfileCatalog(profiles, defaultProfile, strict);
        foreach (var (name, profile) in profiles)
        {
            string prefix = $"Realtime:Models:{name}";
            var engines = new SessionEngines(
                Vad: registry.GetSpeechDetector(Parse(profile.Vad, $"{prefix}:Vad:Backend"), profile.Vad.Model),
                Transcription: registry.GetSpeechRecognizer(Parse(profile.Transcription, $"{prefix}:Transcription:Backend"), profile.Transcription.Model),
                Llm: registry.GetChatModel(Parse(profile.Llm, $"{prefix}:Llm:Backend"), profile.Llm.Model),
                Tts: registry.GetSpeechSynthesizer(Parse(profile.Tts, $"{prefix}:Tts:Backend"), profile.Tts.Model),
                ProfileName: name);
            _engines[name] = engines;
            logger.LogInformation(
                "Profile {Profile}: VAD {Vad}, transcription {Stt}, LLM {Llm}, TTS {Tts}{Aliases}",
                name, engines.Vad?.Name, engines.Transcription?.Name, engines.Llm.Name, engines.Tts?.Name,
                profile.Aliases.Length > 0 ? $" (aliases {string.Join(", ", profile.Aliases)})" : string.Empty);
        }
    }

    public ProfileCatalog Catalog { get; }

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

        return _engines[profile];
    }

    private static BackendUri Parse(StageOptions stage, string key) => BackendUri.Parse(stage.Backend, key);
}
