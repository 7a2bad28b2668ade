using System.Diagnostics;
using System.Text;

namespace Realtime.EndToEnd.Tests;

/// <summary>Runs one of the Node client scripts in tests/node against the server and returns its exit code and output.</summary>
internal static class NodeScript
{
    public static Task<(int ExitCode, string Output)> RunAsync(string script, string baseUrl, string apiKey, TimeSpan timeout, params string[] args) =>
        RunAsync(script, baseUrl, apiKey, timeout, new Dictionary<string, string>(), args);

    public static async Task<(int ExitCode, string Output)> RunAsync(string script, string baseUrl, string apiKey, TimeSpan timeout, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = Repo.NodeTests,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(script);
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["REALTIME_BASE_URL"] = baseUrl;
        start.Environment["REALTIME_API_KEY"] = apiKey;
        // The test server's certificate is self-signed; the scripts also pass rejectUnauthorized:false.
        start.Environment["NODE_TLS_REJECT_UNAUTHORIZED"] = "0";
        start.Environment["NODE_NO_WARNINGS"] = "1";
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }
        using Process process = Process.Start(start) ?? throw new InvalidOperationException("node did not start");
        var output = new StringBuilder();
        Task stdout = Pump(process.StandardOutput, output);
        Task stderr = Pump(process.StandardError, output);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            output.AppendLine($"(killed after {timeout.TotalSeconds} s)");
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }

    private static async Task Pump(StreamReader reader, StringBuilder sink)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }
        }
    }
}
