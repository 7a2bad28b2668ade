using System.Diagnostics;
using System.Text.Json;

namespace Realtime.Host.Tests.Connections;

/// <summary>Runs tests/node/ws-client.mjs (the `ws` package) and parses its one-line JSON result.</summary>
internal static class NodeClient
{
    public static async Task<JsonElement> RunAsync(Uri url, string optionsJson)
    {
        string script = Path.Combine(FindRepositoryRoot(), "tests", "node", "ws-client.mjs");
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(url.ToString());
        start.ArgumentList.Add(optionsJson);
        using Process process = Process.Start(start)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        Assert.True(output.Trim().Length > 0, "node printed nothing; stderr: " + await stderr);
        return JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement.Clone();
    }

    private static string FindRepositoryRoot()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !File.Exists(Path.Combine(directory, "Realtime.Fast.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        return directory ?? throw new InvalidOperationException("repository root not found");
    }
}
