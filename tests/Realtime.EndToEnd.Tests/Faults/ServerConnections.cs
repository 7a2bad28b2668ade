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
    private const string DirectInstrument = "realtime.connections.open";

    // Keyed by (port, served by the Realtime listener itself rather than Kestrel).
    private readonly Dictionary<(int Port, bool Direct), long> _open = [];

    public ServerConnections()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if ((instrument.Meter.Name == "Microsoft.AspNetCore.Server.Kestrel" && instrument.Name == "kestrel.active_connections")
                || (instrument.Meter.Name == "Realtime.Fast" && instrument.Name == DirectInstrument))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, delta, tags, _) =>
        {
            bool direct = instrument.Name == DirectInstrument;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "server.port" && tag.Value is int port)
                {
                    lock (_open)
                    {
                        _open[(port, direct)] = _open.GetValueOrDefault((port, direct)) + delta;
                    }
                }
            }
        });
        _listener.Start();
    }

    public long OpenOn(int port) => DirectOn(port) + KestrelOn(port);

    /// <summary>Connections the Realtime listener serves itself (upgrades on a plaintext endpoint).</summary>
    public long DirectOn(int port)
    {
        lock (_open)
        {
            return _open.GetValueOrDefault((port, true));
        }
    }

    /// <summary>Connections Kestrel runs (HTTP requests, TLS, or every connection with DirectAccept off).</summary>
    public long KestrelOn(int port)
    {
        lock (_open)
        {
            return _open.GetValueOrDefault((port, false));
        }
    }

    public void Dispose() => _listener.Dispose();
}
