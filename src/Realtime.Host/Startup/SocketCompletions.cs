namespace Realtime.Host.Startup;

/// <summary>
/// Where the runtime's socket engine runs a completed receive or send. By default each epoll thread hands every
/// completion to the thread pool; Kestrel's <c>UnsafePreferInlineScheduling</c> then runs the connection's pipe work
/// inline on that pool thread, so a client event still cost one pool hand-off (a wake-up of a sleeping worker) before
/// it was read. With inline completions the epoll thread itself reads the frame, runs the session step and writes the
/// answer: nothing is handed on. Measured with the overhead harness (bench/Realtime.Load --overhead), same machine,
/// same build, one run each: one connection, response.create → response.done 0.128 → 0.080 ms p50 and 101 → 48 µs of
/// server CPU per response; 32 connections 56 → 41 µs per response; a 100 ms append 219 → 131 µs; thread-pool work
/// items per response 1.0 → 0.
/// </summary>
/// <remarks>
/// Safe because nothing on a connection's path blocks: backends, recognition (pocketsphinx's own worker) and synthesis
/// (espeak-ng's thread) run off it, and a lone Silero frame (~60 µs) is the longest step. The runtime reads the switch
/// once, from the environment, when the first socket is used, so it is set before anything opens one; a value the
/// user already set (<c>DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0</c>) wins, as does
/// <c>Realtime:WebSocket:InlineScheduling=false</c>.
/// </remarks>
internal static class SocketCompletions
{
    public const string Variable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    public static void PreferInline()
    {
        if (Environment.GetEnvironmentVariable(Variable) is null)
        {
            Environment.SetEnvironmentVariable(Variable, "1");
        }
    }
}
