namespace Realtime.Wire.Frames;

/// <summary>RFC 6455 §5.2 opcodes; every other value is a protocol error.</summary>
public enum FrameOpcode : byte
{
    /// <summary>Continues a fragmented data message.</summary>
    Continuation = 0x0,

    /// <summary>UTF-8 text data.</summary>
    Text = 0x1,

    /// <summary>Binary data.</summary>
    Binary = 0x2,

    /// <summary>Closing handshake.</summary>
    Close = 0x8,

    /// <summary>Keepalive request; answered with a pong carrying the same payload.</summary>
    Ping = 0x9,

    /// <summary>Keepalive answer (or unsolicited heartbeat).</summary>
    Pong = 0xA,
}
