using global::Grpc.Net.Client.Balancer;

namespace Realtime.Engine.Backends.Grpc.Balancing;

/// <summary>The health of every replica of one `dns:///` pool: one <see cref="ReplicaProbe"/> per resolved address.</summary>
internal sealed class ReplicaHealth(Func<string, ReplicaProbe> createProbe) : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, ReplicaProbe> _probes = new(StringComparer.OrdinalIgnoreCase);
    private bool _disposed;

    /// <summary>The probe of <paramref name="address"/>, started at first sight of it.</summary>
    public ReplicaProbe For(BalancerAddress address)
    {
        string key = Key(address);
        lock (_lock)
        {
            if (!_probes.TryGetValue(key, out ReplicaProbe? probe))
            {
                probe = createProbe(key);
                _probes[key] = probe;
                if (!_disposed)
                {
                    probe.Start();
                }
            }

            return probe;
        }
    }

    /// <summary>Stops probing replicas that are no longer resolved.</summary>
    public void Retain(IReadOnlyList<BalancerAddress> addresses)
    {
        var keep = new HashSet<string>(addresses.Select(Key), StringComparer.OrdinalIgnoreCase);
        lock (_lock)
        {
            foreach (string key in _probes.Keys.Where(k => !keep.Contains(k)).ToList())
            {
                _probes.Remove(key, out ReplicaProbe? gone);
                gone?.Dispose();
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _disposed = true;
            foreach (ReplicaProbe probe in _probes.Values)
            {
                probe.Dispose();
            }

            _probes.Clear();
        }
    }

    /// <summary>`host:port`, IPv6 literals bracketed: what a channel address is made of.</summary>
    private static string Key(BalancerAddress address) =>
        address.EndPoint.Host.Contains(':', StringComparison.Ordinal) ? $"[{address.EndPoint.Host}]:{address.EndPoint.Port}" : $"{address.EndPoint.Host}:{address.EndPoint.Port}";
}
