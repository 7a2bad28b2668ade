using System.Net;

namespace Realtime.Host.Transport;

/// <summary>
/// The ports bound without TLS, as <see cref="Startup.EndpointBinding"/> declared them: only there may the Realtime
/// upgrade be served straight from the accept (on a TLS port the first bytes are a ClientHello, and a plaintext upgrade
/// sent there must meet Kestrel's TLS, not us).
/// </summary>
internal sealed class PlaintextEndpoints
{
    private readonly HashSet<int> _plaintext = [];
    private readonly HashSet<int> _tls = [];

    public void Declare(int port, bool tls)
    {
        lock (_plaintext)
        {
            (tls ? _tls : _plaintext).Add(port);
        }
    }

    /// <summary>
    /// True for a TCP endpoint whose port only plaintext urls use (port 0 too, when no https url asks for port 0: a
    /// port is never shared by http and https).
    /// </summary>
    public bool IsPlaintext(EndPoint endpoint)
    {
        if (endpoint is not IPEndPoint ip)
        {
            return false;
        }

        lock (_plaintext)
        {
            return _plaintext.Contains(ip.Port) && !_tls.Contains(ip.Port);
        }
    }
}
