using System.Collections.Frozen;
using System.Reflection;
using System.Security.Cryptography;

namespace Realtime.Host.BrowserConsole;

/// <summary>
/// The browser console's files, embedded in the executable (Realtime.Host.csproj gives each the logical name
/// `console/&lt;file&gt;`), so the page works from a single NativeAOT binary with nothing beside it. Read once:
/// manifest resources need no reflection beyond the assembly handle, which AOT keeps.
/// </summary>
internal static class ConsoleAssets
{
    private const string Prefix = "console/";

    private static readonly FrozenDictionary<string, ConsoleAsset> All = Load();

    /// <summary>The file named <paramref name="name"/> (e.g. `console.js`), or null when the console has none.</summary>
    public static ConsoleAsset? Find(string name) => All.GetValueOrDefault(name);

    private static FrozenDictionary<string, ConsoleAsset> Load()
    {
        Assembly assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (string resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(Prefix, StringComparison.Ordinal))
            {
                continue;
            }

            using Stream stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            byte[] content = copy.ToArray();
            string name = resource[Prefix.Length..];
            string etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(content).AsSpan(0, 8)) + "\"";
            assets[name] = new ConsoleAsset(name, content, ContentTypeOf(name), etag);
        }

        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static string ContentTypeOf(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };
}
