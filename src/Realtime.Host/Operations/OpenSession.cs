using Realtime.Host.Observability;
using Realtime.Wire.Frames;

namespace Realtime.Host.Operations;

/// <summary>One admitted session as the registry sees it: its API key (for the per-key count) and its output (to drain it).</summary>
internal sealed class OpenSession(string? apiKey, MeteredOutput output)
{
    public string? ApiKey => apiKey;

    /// <summary>Closes with 1001 now if the session is idle, else as soon as it is (created event sent, current response done).</summary>
    public void Drain()
    {
        // Subscribe before looking, so a response finishing (or session.created going out) in between still closes it.
        output.Idle += CloseGoingAway;
        if (!output.Busy)
        {
            CloseGoingAway();
        }
    }

    public void CloseGoingAway() => output.Close(CloseStatus.GoingAway, "server shutting down");
}
