namespace Realtime.Benchmarks.Audio;

/// <summary>Finds repo files from wherever BenchmarkDotNet runs the generated project.</summary>
internal static class BenchmarkPaths
{
    public static string SileroModel => Path.Combine(RepoRoot(), "models", "silero_vad_v5.onnx");

    public static string Fixture(string name) => Path.GetFullPath(Path.Combine(RepoRoot(), "..", "shared", "audio", name));

    private static string RepoRoot()
    {
        foreach (string start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Realtime.Fast.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new DirectoryNotFoundException("Realtime.Fast.sln not found");
    }
}
