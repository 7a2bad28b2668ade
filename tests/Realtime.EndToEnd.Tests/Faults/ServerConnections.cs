using System.Diagnostics.Metrics;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// Counts the open TCP connections of one server port: Kestrel's `kestrel.active_connections` (HTTP, TLS) plus the
/// Realtime listener's `realtime.connections.open` (upgrades it serves itself): what the server still holds below the
/// session level (a session can be released while its connection lives on).
/// </summary>
internal sealed class ServerConnections : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<int, long> _open = [];

    public ServerConnections()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if ((instrument.Meter.Name == "Microsoft.AspNetCore.Server.Kestrel" && instrument.Name == "kestrel.active_connections")
                || (instrument.Meter.Name == "Realtime.Fast" && instrument.Name == "realtime.connections.open"))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((_, delta, tags, _) =>
        {
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "server.port" && tag.Value is int port)
                {
                    lock (_open)
                    {
                        _open[port] = _open.GetValueOrDefault(port) + delta;
                    }
                }
            }
        });
        _listener.Start();
    }

    public long OpenOn(int port)
    {
        lock (_open)
        {
            return _open.GetValueOrDefault(port);
        }
    }

    public void Dispose() => _listener.Dispose();
}
