using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// A WebSocket client on a bare TCP socket, for what ClientWebSocket will not do: stay silent (never answer a ping),
/// flood pings, or drop the connection with a TCP reset and no close frame.
/// </summary>
internal sealed class RawRealtimeClient : IAsyncDisposable
{
    public const byte Text = 0x1, Close = 0x8, Ping = 0x9, Pong = 0xA;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly BufferedStream _reader;

    private RawRealtimeClient(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        _reader = new BufferedStream(_stream, 1 << 16);
    }

    public static async Task<RawRealtimeClient> ConnectAsync(Uri http, string apiKey, string query, int? receiveBufferBytes = null)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferBytes is int bytes)
        {
            // Before connecting, so the advertised window is small from the start.
            socket.ReceiveBufferSize = bytes;
        }

        await socket.ConnectAsync(http.Host, http.Port);
        var client = new RawRealtimeClient(socket);
        string head = $"GET /v1/realtime?{query} HTTP/1.1\r\nHost: {http.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {apiKey}\r\n\r\n";
        await client._stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        string status = await client.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 101", status, StringComparison.Ordinal);
        return client;
    }

    public Task SendTextAsync(string json) => SendAsync(Frame(Text, Encoding.UTF8.GetBytes(json)));

    public async Task SendAsync(byte[] frames) => await _stream.WriteAsync(frames);

    /// <summary>One masked client frame (RFC 6455 §5.3: every client frame is masked).</summary>
    public static byte[] Frame(byte opcode, ReadOnlySpan<byte> payload)
    {
        int lengthBytes = payload.Length < 126 ? 0 : payload.Length <= ushort.MaxValue ? 2 : 8;
        byte[] frame = new byte[2 + lengthBytes + 4 + payload.Length];
        frame[0] = (byte)(0x80 | opcode);
        if (lengthBytes == 0)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else if (lengthBytes == 2)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        Span<byte> mask = frame.AsSpan(2 + lengthBytes, 4);
        RandomNumberGenerator.Fill(mask);
        Span<byte> masked = frame.AsSpan(6 + lengthBytes);
        for (int i = 0; i < payload.Length; i++)
        {
            masked[i] = (byte)(payload[i] ^ mask[i % 4]);
        }

        return frame;
    }

    /// <summary>The next server frame (servers do not mask; this server does not fragment small events); null at end of stream.</summary>
    public async Task<(byte Opcode, byte[] Payload)?> ReadFrameAsync(CancellationToken cancellationToken)
    {
        byte[] header = new byte[8];
        try
        {
            await _reader.ReadExactlyAsync(header.AsMemory(0, 2), cancellationToken);
        }
        catch (EndOfStreamException)
        {
            return null;
        }

        byte opcode = (byte)(header[0] & 0x0F);
        long length = header[1] & 0x7F;
        if (length == 126)
        {
            await _reader.ReadExactlyAsync(header.AsMemory(0, 2), cancellationToken);
            length = BinaryPrimitives.ReadUInt16BigEndian(header);
        }
        else if (length == 127)
        {
            await _reader.ReadExactlyAsync(header.AsMemory(0, 8), cancellationToken);
            length = (long)BinaryPrimitives.ReadUInt64BigEndian(header);
        }

        byte[] payload = new byte[length];
        await _reader.ReadExactlyAsync(payload, cancellationToken);
        return (opcode, payload);
    }

    /// <summary>Reads frames until a text event of <paramref name="type"/>; control frames are skipped.</summary>
    public async Task<JsonElement> ReadUntilEventAsync(string type, int timeoutMs = 60_000)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(timeoutMs);
        while (await ReadFrameAsync(timeout.Token) is { } frame)
        {
            if (frame.Opcode == Text)
            {
                JsonElement e = JsonDocument.Parse(frame.Payload).RootElement.Clone();
                if (e.GetProperty("type").GetString() == type)
                {
                    return e;
                }
            }
        }

        throw new EndOfStreamException($"The server closed the connection before {type}.");
    }

    /// <summary>Drops the connection the hard way: a TCP reset (linger 0), no close frame.</summary>
    public void Abort()
    {
        _socket.LingerState = new LingerOption(true, 0);
        _socket.Close();
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync();
        await _stream.DisposeAsync();
        _socket.Dispose();
    }

    private async Task<string> ReadHeadAsync()
    {
        var head = new StringBuilder();
        byte[] one = new byte[1];
        while (!head.ToString().EndsWith("\r\n\r\n", StringComparison.Ordinal))
        {
            // Byte by byte, so nothing after the head is consumed here (the frames go through _reader).
            await _stream.ReadExactlyAsync(one);
            head.Append((char)one[0]);
        }

        return head.ToString();
    }
}
