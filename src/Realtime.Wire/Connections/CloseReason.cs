namespace Realtime.Wire.Connections;

/// <summary>Why a connection ended: the status code sent or received (0 when none, e.g. TCP reset) and who initiated it.</summary>
public readonly record struct CloseReason(ushort Status, string? Description, bool InitiatedByPeer);
