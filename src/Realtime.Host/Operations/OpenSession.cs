using Realtime.Host.Observability;
using Realtime.Wire.Frames;

namespace Realtime.Host.Operations;

/// <summary>One admitted session as the registry sees it: its API key (for the per-key count) and its output (to drain it).</summary>
internal sealed class OpenSession(string? apiKey, MeteredOutput output)
{
    public string? ApiKey => apiKey;

    /// <summary>Closes with 1001 now if no response is in flight, else as soon as the current one is done.</summary>
    public void Drain()
    {
        // Subscribe before looking, so a response finishing in between still closes the session.
        output.Idle += CloseGoingAway;
        if (!output.ResponseInFlight)
        {
            CloseGoingAway();
        }
    }

    public void CloseGoingAway() => output.Close(CloseStatus.GoingAway, "server shutting down");
}
