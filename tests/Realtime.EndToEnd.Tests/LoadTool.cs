using System.Diagnostics;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// Runs the load generator (bench/Realtime.Load) as a child process against this server's build, as
/// `scripts/load.sh` and `scripts/overhead.sh` do, and returns what it printed. Both were built in this test's
/// configuration (bin/&lt;Configuration&gt;/net10.0/).
/// </summary>
internal static class LoadTool
{
    private static readonly string Configuration = Path.GetFileName(Path.GetDirectoryName(AppContext.BaseDirectory.TrimEnd('/')))!;

    /// <summary>This build of the server the tool starts (`--server`).</summary>
    public static string Server => Path.Combine(Repo.Root, "src", "Realtime.Host", "bin", Configuration, "net10.0", "realtime-fast.dll");

    /// <summary>The fixtures' directory (`--audio-dir`).</summary>
    public static string AudioDirectory => Path.GetDirectoryName(Repo.Audio("weather_question.wav"))!;

    /// <summary>Runs the tool with <paramref name="arguments"/>, killed (with its servers) after four minutes.</summary>
    public static async Task<(int ExitCode, string Output, string Errors)> RunAsync(params string[] arguments)
    {
        string tool = Path.Combine(Repo.Root, "bench", "Realtime.Load", "bin", Configuration, "net10.0", "Realtime.Load.dll");
        Assert.True(File.Exists(tool), tool);
        Assert.True(File.Exists(Server), Server);
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Repo.Root,
        };
        start.ArgumentList.Add(tool);
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromMinutes(4));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
