namespace Realtime.Host.Engines;

/// <summary>A profile as clients may select it with `?model=`: its name, its aliases, and whether unknown names fall back to it.</summary>
public sealed record ProfileListing(string Name, IReadOnlyList<string> Aliases, bool IsDefault);
