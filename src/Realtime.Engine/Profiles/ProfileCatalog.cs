namespace Realtime.Engine.Profiles;

/// <summary>
/// Finds the profile for a connection's `model` query parameter: by name, then by alias, else the
/// default profile — unless strict, when an unknown name is refused as the hosted API refuses it.
/// </summary>
public sealed class ProfileCatalog
{
    private readonly Dictionary<string, string> _byName = new(StringComparer.OrdinalIgnoreCase);

    public ProfileCatalog(IReadOnlyDictionary<string, ModelProfileOptions> profiles, string defaultProfile, bool strict)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        if (!profiles.ContainsKey(defaultProfile))
        {
            throw new ArgumentException($"Realtime:DefaultModel '{defaultProfile}' names no profile under Realtime:Models.", nameof(defaultProfile));
        }

        foreach (var (name, profile) in profiles)
        {
            _byName[name] = name;
        }

        foreach (var (name, profile) in profiles)
        {
            foreach (var alias in profile.Aliases)
            {
                if (_byName.TryGetValue(alias, out var owner) && !string.Equals(owner, name, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Realtime:Models:{name}:Aliases: '{alias}' already selects profile '{owner}'.", nameof(profiles));
                }

                _byName[alias] = name;
            }
        }

        DefaultProfile = defaultProfile;
        Strict = strict;
    }

    public string DefaultProfile { get; }

    public bool Strict { get; }

    /// <summary>The profile name for <paramref name="model"/>; false only when strict and the name is unknown.</summary>
    public bool TryResolve(string? model, out string profile, out bool fellBack)
    {
        fellBack = false;
        if (string.IsNullOrEmpty(model))
        {
            profile = DefaultProfile;
            return true;
        }

        if (_byName.TryGetValue(model, out var found))
        {
            profile = found;
            return true;
        }

        profile = DefaultProfile;
        fellBack = true;
        return !Strict;
    }
}
