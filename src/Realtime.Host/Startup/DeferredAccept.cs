using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;

namespace Realtime.Host.Startup;

/// <summary>
/// Listening sockets that hand a connection to the server only once its first bytes have arrived (Linux
/// <c>TCP_DEFER_ACCEPT</c>). Every client of this server speaks first (an HTTP request, a TLS hello, an HTTP/2
/// preface), so nothing waits for the server. Without it, a new connection cost two wake-ups of the socket engine:
/// one to accept it and, a moment later, one for its request; with it, the request is already there when the
/// connection is accepted, and its first read succeeds at once instead of finding nothing and waiting in epoll.
/// </summary>
internal static class DeferredAccept
{
    private const int IpProtoTcp = 6;
    private const int TcpDeferAccept = 9;

    /// <summary>
    /// The bound, in seconds, on how long the kernel defers a connection that has sent nothing (it rounds it up to its
    /// SYN-ACK retransmission schedule). A client that speaks within it costs the server nothing until it does.
    /// </summary>
    private const int HoldSeconds = 10;

    public static Socket CreateBoundListenSocket(EndPoint endpoint)
    {
        Socket socket = SocketTransportOptions.CreateDefaultBoundListenSocket(endpoint);
        if (OperatingSystem.IsLinux() && endpoint is IPEndPoint)
        {
            try
            {
                socket.SetRawSocketOption(IpProtoTcp, TcpDeferAccept, BitConverter.GetBytes(HoldSeconds));
            }
            catch (SocketException)
            {
                // A kernel without the option: connections are accepted as they come, as everywhere else.
            }
        }

        return socket;
    }
}
