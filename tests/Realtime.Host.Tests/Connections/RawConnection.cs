using System.Net.Sockets;
using System.Text;

namespace Realtime.Host.Tests.Connections;

/// <summary>A plain TCP client for byte-exact checks of what the server sends.</summary>
internal sealed class RawConnection : IAsyncDisposable
{
    private readonly TcpClient _client = new() { NoDelay = true };
    private readonly List<byte> _buffered = [];
    private NetworkStream _stream = null!;

    public NetworkStream Stream => _stream;

    public static async Task<RawConnection> ConnectAsync(Uri address)
    {
        var connection = new RawConnection();
        await connection._client.ConnectAsync(address.Host, address.Port);
        connection._stream = connection._client.GetStream();
        return connection;
    }

    public Task SendAsync(string ascii) => SendAsync(Encoding.ASCII.GetBytes(ascii));

    public async Task SendAsync(byte[] bytes) => await _stream.WriteAsync(bytes, TestContext.Current.CancellationToken);

    /// <summary>Reads up to and including the blank line ending an HTTP head.</summary>
    public async Task<string> ReadHeadAsync()
    {
        while (true)
        {
            int end = IndexOf("\r\n\r\n"u8.ToArray());
            if (end >= 0)
            {
                string head = Encoding.ASCII.GetString([.. _buffered.Take(end + 4)]);
                _buffered.RemoveRange(0, end + 4);
                return head;
            }

            await FillAsync();
        }
    }

    public async Task<byte[]> ReadExactlyAsync(int count)
    {
        while (_buffered.Count < count)
        {
            await FillAsync();
        }

        byte[] bytes = [.. _buffered.Take(count)];
        _buffered.RemoveRange(0, count);
        return bytes;
    }

    /// <summary>Reads what is left until the server closes the connection.</summary>
    public async Task<byte[]> ReadToEndAsync()
    {
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int read;
        while ((read = await _stream.ReadAsync(buffer, timeout.Token)) > 0)
        {
            _buffered.AddRange(buffer.AsSpan(0, read).ToArray());
        }

        byte[] all = [.. _buffered];
        _buffered.Clear();
        return all;
    }

    /// <summary>Bytes already received but not yet read (e.g. a frame right after the 101 head).</summary>
    public byte[] TakeBuffered()
    {
        byte[] bytes = [.. _buffered];
        _buffered.Clear();
        return bytes;
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _client.Dispose();
    }

    private async Task FillAsync()
    {
        var buffer = new byte[65536];
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        int read = await _stream.ReadAsync(buffer, timeout.Token);
        if (read == 0)
        {
            throw new IOException("connection closed");
        }

        _buffered.AddRange(buffer.AsSpan(0, read).ToArray());
    }

    private int IndexOf(byte[] pattern)
    {
        for (int i = 0; i + pattern.Length <= _buffered.Count; i++)
        {
            bool match = true;
            for (int k = 0; k < pattern.Length && match; k++)
            {
                match = _buffered[i + k] == pattern[k];
            }

            if (match)
            {
                return i;
            }
        }

        return -1;
    }
}
