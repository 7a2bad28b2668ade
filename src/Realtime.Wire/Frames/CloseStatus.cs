namespace Realtime.Wire.Frames;

/// <summary>Close status codes this server sends or checks (RFC 6455 §7.4 plus the Realtime API's own).</summary>
public static class CloseStatus
{
    /// <summary>Normal closure.</summary>
    public const ushort Normal = 1000;

    /// <summary>Going away (server shutdown, session expiry).</summary>
    public const ushort GoingAway = 1001;

    /// <summary>Protocol error: a frame that breaks RFC 6455.</summary>
    public const ushort ProtocolError = 1002;

    /// <summary>Reserved: "no status received"; never sent on the wire.</summary>
    public const ushort NoStatus = 1005;

    /// <summary>Text payload that is not valid UTF-8.</summary>
    public const ushort InvalidPayload = 1007;

    /// <summary>Policy violation (e.g. a client that does not read its output).</summary>
    public const ushort PolicyViolation = 1008;

    /// <summary>Message larger than the configured limit.</summary>
    public const ushort MessageTooBig = 1009;

    /// <summary>Unexpected server condition.</summary>
    public const ushort InternalError = 1011;

    /// <summary>Realtime API: authentication failure.</summary>
    public const ushort Unauthorized = 3000;

    /// <summary>Realtime API: bad request shape (model, beta header).</summary>
    public const ushort BadRequest = 4000;

    /// <summary>Whether a peer may send this code in a close frame (RFC 6455 §7.4.1/§7.4.2).</summary>
    public static bool IsValidOnWire(ushort code) => code switch
    {
        >= 1000 and <= 1003 => true,
        >= 1007 and <= 1014 => true,
        >= 3000 and <= 4999 => true,
        _ => false,
    };
}
