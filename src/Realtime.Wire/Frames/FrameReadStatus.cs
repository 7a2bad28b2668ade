namespace Realtime.Wire.Frames;

/// <summary>Why <see cref="FrameReader.Read{THandler}"/> returned.</summary>
public enum FrameReadStatus
{
    /// <summary>Every complete frame was handled; read more bytes and call again.</summary>
    NeedMoreData,

    /// <summary>The peer sent a valid close frame (see <see cref="FrameReader.ReceivedCloseStatus"/>).</summary>
    CloseReceived,

    /// <summary>The peer broke the protocol (see <see cref="FrameReader.ViolationStatus"/>); fail the connection.</summary>
    Violation,
}
