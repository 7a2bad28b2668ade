using System.Diagnostics.Metrics;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// Counts the open TCP connections of one Kestrel port through its `kestrel.active_connections` instrument: what the
/// server still holds below the session level (a session can be released while its connection lives on).
/// </summary>
internal sealed class KestrelConnections : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly Dictionary<int, long> _open = [];

    public KestrelConnections()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "Microsoft.AspNetCore.Server.Kestrel" && instrument.Name == "kestrel.active_connections")
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
