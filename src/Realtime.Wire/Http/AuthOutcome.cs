namespace Realtime.Wire.Http;

/// <summary>What the credentials of an upgrade request amounted to.</summary>
public enum AuthOutcome
{
    /// <summary>A configured key was presented, or authentication is off.</summary>
    Accepted,

    /// <summary>No Bearer header and no key subprotocol.</summary>
    Missing,

    /// <summary>A key was presented but is not configured.</summary>
    Invalid,
}
