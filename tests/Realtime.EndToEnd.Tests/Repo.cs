namespace Realtime.EndToEnd.Tests;

/// <summary>Paths of the repository and of the shared test audio beside it.</summary>
internal static class Repo
{
    public static string Root { get; } = FindRoot();

    public static string NodeTests => Path.Combine(Root, "tests", "node");

    public static string Audio(string name) => Path.Combine(Root, "..", "shared", "audio", name);

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Realtime.Fast.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Realtime.Fast.sln not found above " + AppContext.BaseDirectory);
    }
}
