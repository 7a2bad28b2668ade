using System.Net;

namespace Realtime.Host.Transport;

/// <summary>
/// The endpoints bound without TLS, as <see cref="Startup.EndpointBinding"/> declared them: only there may the Realtime
/// upgrade be served straight from the accept (on a TLS endpoint the first bytes are a ClientHello, and a plaintext
/// upgrade sent there must meet Kestrel's TLS, not us).
/// </summary>
/// <remarks>
/// Kestrel hands the transport the very <see cref="EndPoint"/> instance of an address bound with
/// <c>Listen(ip, port)</c>, so those are told apart by identity, port 0 included (`http://127.0.0.1:0;https://127.0.0.1:0`).
/// `localhost` and `*` are bound through endpoints Kestrel makes itself (one per address family); those are told
/// apart by port, which http and https urls cannot share.
/// </remarks>
internal sealed class PlaintextEndpoints
{
    private readonly HashSet<EndPoint> _plaintextInstances = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<EndPoint> _tlsInstances = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<int> _plaintextPorts = [];
    private readonly HashSet<int> _tlsPorts = [];

    public void Declare(EndPoint endpoint, bool tls)
    {
        lock (_plaintextPorts)
        {
            (tls ? _tlsInstances : _plaintextInstances).Add(endpoint);
            if (endpoint is IPEndPoint ip)
            {
                (tls ? _tlsPorts : _plaintextPorts).Add(ip.Port);
            }
        }
    }

    /// <summary>True for a TCP endpoint declared plaintext, and only where that is unambiguous.</summary>
    public bool IsPlaintext(EndPoint endpoint)
    {
        if (endpoint is not IPEndPoint ip)
        {
            return false;
        }

        lock (_plaintextPorts)
        {
            if (_plaintextInstances.Contains(endpoint) || _tlsInstances.Contains(endpoint))
            {
                return _plaintextInstances.Contains(endpoint);
            }

            return _plaintextPorts.Contains(ip.Port) && !_tlsPorts.Contains(ip.Port);
        }
    }
}
