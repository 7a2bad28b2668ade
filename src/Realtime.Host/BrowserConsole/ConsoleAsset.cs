namespace Realtime.Host.BrowserConsole;

/// <summary>One file of the browser console, read once from the binary's embedded resources.</summary>
internal sealed record ConsoleAsset(string Name, byte[] Content, string ContentType, string ETag);
