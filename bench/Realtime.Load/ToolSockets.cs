using System.Diagnostics;

namespace Realtime.Load;

/// <summary>
/// In overhead runs the tool's own sockets complete inline on the runtime's epoll thread instead of handing every
/// receive to a thread-pool worker. The tool shares the two cores with the server it measures, and a perf profile of
/// it on the text workload was mostly wake-ups and spinning of those hand-offs: CPU the server under test could not
/// use. The servers the tool starts get the environment the tool was started with, never this setting.
/// </summary>
internal static class ToolSockets
{
    private const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";
    private static string? s_inherited;
    private static bool s_set;

    /// <summary>Call before the tool opens its first socket: the runtime reads the switch once, then.</summary>
    public static void CompleteInline()
    {
        s_inherited = Environment.GetEnvironmentVariable(Variable);
        s_set = true;
        Environment.SetEnvironmentVariable(Variable, "1");
    }

    /// <summary>Gives a server process the tool's original setting.</summary>
    public static void Restore(ProcessStartInfo start)
    {
        if (!s_set)
        {
            return;
        }

        if (s_inherited is null)
        {
            start.Environment.Remove(Variable);
        }
        else
        {
            start.Environment[Variable] = s_inherited;
        }
    }
}
