using Realtime.Engine.Profiles;

namespace Realtime.Host.Engines;

/// <summary>
/// Reads `Realtime:DefaultModel`, `Realtime:StrictModels` and `Realtime:Models:&lt;name&gt;:*` from configuration.
/// Without any profile configured, one profile named `default` runs the embedded engines
/// (Silero VAD, pocketsphinx, the echo LLM, espeak-ng).
/// </summary>
public static class EngineProfiles
{
    public const string DefaultProfileName = "default";

    private static readonly string[] StageKeys = ["Backend", "Model"];
    private static readonly string[] ProfileKeys = ["Vad", "Transcription", "Llm", "Tts", "Aliases"];

    public static ModelProfileOptions Embedded() => new()
    {
        Vad = new StageOptions { Backend = "builtin:silero" },
        Transcription = new StageOptions { Backend = "builtin:pocketsphinx" },
        Llm = new StageOptions { Backend = "builtin:echo" },
        Tts = new StageOptions { Backend = "builtin:espeak-ng" },
    };

    /// <summary>The configured profiles; throws with the offending key for unknown keys.</summary>
    public static Dictionary<string, ModelProfileOptions> Read(IConfiguration configuration, out string defaultProfile, out bool strict)
    {
        var profiles = new Dictionary<string, ModelProfileOptions>(StringComparer.OrdinalIgnoreCase);
        IConfigurationSection models = configuration.GetSection("Realtime:Models");
        foreach (IConfigurationSection section in models.GetChildren())
        {
            profiles[section.Key] = ReadProfile(section);
        }

        if (profiles.Count == 0)
        {
            profiles[DefaultProfileName] = Embedded();
        }

        defaultProfile = configuration["Realtime:DefaultModel"] is { Length: > 0 } configured
            ? configured
            : profiles.ContainsKey(DefaultProfileName) ? DefaultProfileName : profiles.Keys.First();
        string? strictText = configuration["Realtime:StrictModels"];
        strict = strictText is not null && (bool.TryParse(strictText, out bool s)
            ? s
            : throw new InvalidOperationException($"Realtime:StrictModels must be true or false, not '{strictText}'."));
        return profiles;
    }

    private static ModelProfileOptions ReadProfile(IConfigurationSection section)
    {
        foreach (IConfigurationSection child in section.GetChildren())
        {
            if (!ProfileKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Unknown configuration key {child.Path}; a profile has {string.Join(", ", ProfileKeys)}.");
            }
        }

        ModelProfileOptions embedded = Embedded();
        return new ModelProfileOptions
        {
            Vad = ReadStage(section.GetSection("Vad"), embedded.Vad),
            Transcription = ReadStage(section.GetSection("Transcription"), embedded.Transcription),
            Llm = ReadStage(section.GetSection("Llm"), embedded.Llm),
            Tts = ReadStage(section.GetSection("Tts"), embedded.Tts),
            Aliases = section.GetSection("Aliases").GetChildren().Select(c => c.Value ?? string.Empty).Where(v => v.Length > 0).ToArray(),
        };
    }

    /// <summary>A stage left out of a profile uses the embedded engine for it.</summary>
    private static StageOptions ReadStage(IConfigurationSection stage, StageOptions fallback)
    {
        foreach (IConfigurationSection child in stage.GetChildren())
        {
            if (!StageKeys.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"Unknown configuration key {child.Path}; a stage has Backend and Model.");
            }
        }

        return new StageOptions
        {
            Backend = stage["Backend"] ?? fallback.Backend,
            Model = stage["Model"],
        };
    }
}
