using Realtime.Wire.Events;

namespace Realtime.Wire.Http;

/// <summary>
/// What the handshake decided. <see cref="StatusCode"/> 101 means upgrade (even when <see cref="Auth"/> failed:
/// the Realtime API reports bad keys after the upgrade); anything else is an HTTP error with <see cref="ErrorText"/>.
/// </summary>
public sealed class HandshakeDecision
{
    /// <summary>101 or the HTTP error status.</summary>
    public required int StatusCode { get; init; }

    /// <summary>Short plain-text body for an error status.</summary>
    public string? ErrorText { get; init; }

    /// <summary>Sec-WebSocket-Accept value.</summary>
    public string? AcceptKey { get; init; }

    /// <summary>The subprotocol to echo, or null for no Sec-WebSocket-Protocol header.</summary>
    public string? SubProtocol { get; init; }

    /// <summary>Protocol spelling the client speaks.</summary>
    public Dialect Dialect { get; init; }

    /// <summary>The `model` query parameter, or null.</summary>
    public string? Model { get; init; }

    /// <summary>Whether `intent=transcription` was asked.</summary>
    public bool TranscriptionIntent { get; init; }

    /// <summary>Result of the credential check.</summary>
    public AuthOutcome Auth { get; init; }

    /// <summary>The key the client presented, or null: for a masked error message, or to redeem an ephemeral client secret. Never logged.</summary>
    public string? PresentedKey { get; init; }

    /// <summary>The configured key the client authenticated with (for per-key limits; never logged), or null when authentication is off.</summary>
    public string? AcceptedKey { get; init; }

    /// <summary>Whether the connection should be upgraded.</summary>
    public bool IsUpgrade => StatusCode == 101;
}
