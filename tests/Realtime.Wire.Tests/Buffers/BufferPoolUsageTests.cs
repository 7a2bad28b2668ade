using Realtime.Wire.Buffers;

namespace Realtime.Wire.Tests.Buffers;

/// <summary>Tracking only sees what goes through <see cref="BufferPool{T}"/>: no src file may use ArrayPool directly.</summary>
public sealed class BufferPoolUsageTests
{
    [Fact]
    public void NoSourceFileRentsFromArrayPoolDirectly()
    {
        DirectoryInfo? root = new(AppContext.BaseDirectory);
        while (root is not null && !Directory.Exists(Path.Combine(root.FullName, "src", "Realtime.Wire")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        string src = Path.Combine(root.FullName, "src");
        string facade = Path.Combine(src, "Realtime.Wire", "Buffers") + Path.DirectorySeparatorChar;
        string[] offenders = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(path => !path.StartsWith(facade, StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && File.ReadAllText(path).Contains("ArrayPool<", StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(root.FullName, path))
            .ToArray();
        Assert.True(offenders.Length == 0, "use Realtime.Wire.Buffers.BufferPool<T> instead of ArrayPool<T>.Shared in: " + string.Join(", ", offenders));
    }
}
