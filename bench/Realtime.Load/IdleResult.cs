namespace Realtime.Load;

/// <summary>Memory an idle open session costs the server (after session.created, no traffic).</summary>
public sealed record IdleResult(string Target, int Requested, int Held, double RssBytesPerSession, double HeapBytesPerSession, string Errors);
