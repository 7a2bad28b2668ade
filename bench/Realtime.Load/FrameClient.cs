using System.Buffers.Binary;
using System.Diagnostics;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Realtime.Load;

/// <summary>
/// A minimal RFC 6455 client on a raw socket, for the text-response workloads: one loop per connection sends a
/// pre-masked `response.create` frame and reads frames until `response.done`, recognising events by their leading
/// "type" without a JSON pass. The tool shares the two cores with the server it measures; through ClientWebSocket it
/// spent ~40 µs of CPU per text response (as much as the server), so responses/s measured the tool as much as the
/// server. This client does the same protocol work (upgrade with Sec-WebSocket-Accept checked, masked client frames,
/// any payload length, close handshake) in one loop, with no hand-off between a receive loop and the sender.
/// </summary>
public sealed class FrameClient : IAsyncDisposable
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const byte Text = 0x1;
    private const byte Close = 0x8;
    private const byte Ping = 0x9;

    private static readonly byte[] SessionCreated = "session.created"u8.ToArray();
    private static readonly byte[] ResponseDone = "response.done"u8.ToArray();

    private readonly Socket _socket;
    private readonly ErrorCounts _errors;
    private readonly CancellationTokenSource _deadline = new();
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private FrameClient(Socket socket, ErrorCounts errors)
    {
        _socket = socket;
        _errors = errors;
    }

    /// <summary>When the last `response.done` arrived (Stopwatch ticks).</summary>
    public long DoneAt { get; private set; }

    /// <summary>Upgrades a new connection and waits for session.created; null (error counted) on failure.</summary>
    public static async Task<FrameClient?> ConnectAsync(Uri uri, string apiKey, ErrorCounts errors)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        var client = new FrameClient(socket, errors);
        client._deadline.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await socket.ConnectAsync(uri.Host, uri.Port, client._deadline.Token);
            string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            byte[] request = Encoding.ASCII.GetBytes(
                $"GET {uri.PathAndQuery} HTTP/1.1\r\nHost: {uri.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
                $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {apiKey}\r\n\r\n");
            await socket.SendAsync(request, SocketFlags.None, client._deadline.Token);
            if (!await client.ReadUpgradeAsync(key) || !await client.ReadUntilAsync(SessionCreated))
            {
                client.Abort();
                return null;
            }

            return client;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or InvalidDataException)
        {
            errors.Add("connect:" + e.GetType().Name);
            client.Abort();
            return null;
        }
    }

    /// <summary>A masked text frame of <paramref name="payload"/>, built once and sent as is for every request.</summary>
    public static byte[] MaskedTextFrame(byte[] payload)
    {
        // The key only has to be present for the server to unmask; a fixed one is as good as a fresh one here.
        ReadOnlySpan<byte> mask = [0x3c, 0xa5, 0x71, 0x0e];
        int header = payload.Length < 126 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        var frame = new byte[header + 4 + payload.Length];
        frame[0] = 0x80 | Text;
        if (header == 2)
        {
            frame[1] = (byte)(0x80 | payload.Length);
        }
        else if (header == 4)
        {
            frame[1] = 0x80 | 126;
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), (ushort)payload.Length);
        }
        else
        {
            frame[1] = 0x80 | 127;
            BinaryPrimitives.WriteUInt64BigEndian(frame.AsSpan(2), (ulong)payload.Length);
        }

        mask.CopyTo(frame.AsSpan(header));
        for (int i = 0; i < payload.Length; i++)
        {
            frame[header + 4 + i] = (byte)(payload[i] ^ mask[i & 3]);
        }

        return frame;
    }

    /// <summary>Sends <paramref name="frame"/> and reads until `response.done`; false (error counted) after 10 s or on any failure.</summary>
    public async Task<bool> RequestAsync(byte[] frame)
    {
        _deadline.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            await _socket.SendAsync(frame, SocketFlags.None, _deadline.Token);
            if (!await ReadUntilAsync(ResponseDone))
            {
                return false;
            }

            DoneAt = Stopwatch.GetTimestamp();
            return true;
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or InvalidDataException)
        {
            _errors.Add(e is OperationCanceledException ? "response_timeout" : "receive:" + e.GetType().Name);
            return false;
        }
    }

    /// <summary>Sends a normal close and waits (up to 5 s) for the server's close or end of stream.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            _deadline.CancelAfter(TimeSpan.FromSeconds(5));
            byte[] close = [0x80 | Close, 0x80 | 2, 0, 0, 0, 0, 0x03, 0xe8]; // zero mask: code 1000 as is
            await _socket.SendAsync(close, SocketFlags.None, _deadline.Token);
            bool closed = false;
            while (!closed && await FillAsync())
            {
                while (!closed && TryTakeFrame(out byte opcode, out _, out _))
                {
                    closed = opcode == Close;
                }
            }
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or InvalidDataException)
        {
            // The server went away first; nothing left to close.
        }

        Abort();
    }

    private void Abort()
    {
        _socket.Dispose();
        _deadline.Dispose();
    }

    /// <summary>Reads the 101 response head and checks its Sec-WebSocket-Accept; what follows it stays buffered.</summary>
    private async Task<bool> ReadUpgradeAsync(string key)
    {
        int headEnd;
        while ((headEnd = _buffer.AsSpan(_start, _end - _start).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (!await FillAsync())
            {
                _errors.Add("handshake:eof");
                return false;
            }
        }

        string[] lines = Encoding.ASCII.GetString(_buffer, _start, headEnd).Split("\r\n");
        string accept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
        bool accepted = lines.Skip(1).Any(line => line.Split(':', 2) is [string name, string value]
            && name.Trim().Equals("Sec-WebSocket-Accept", StringComparison.OrdinalIgnoreCase) && value.Trim() == accept);
        if (!lines[0].StartsWith("HTTP/1.1 101", StringComparison.Ordinal) || !accepted)
        {
            _errors.Add("handshake:" + lines[0]);
            return false;
        }

        _start += headEnd + 4;
        return true;
    }

    /// <summary>Reads frames until a text message of event type <paramref name="type"/>; false (error counted) if the connection closes first.</summary>
    private async Task<bool> ReadUntilAsync(byte[] type)
    {
        while (true)
        {
            while (TryTakeFrame(out byte opcode, out int offset, out int length))
            {
                if (opcode == Text)
                {
                    ReadOnlySpan<byte> json = _buffer.AsSpan(offset, length);
                    ReadOnlySpan<byte> leading = ServerEvent.LeadingType(json);
                    if (leading.SequenceEqual(type))
                    {
                        return true;
                    }

                    if (leading.SequenceEqual("error"u8))
                    {
                        _errors.Add("error:" + ServerEvent.Read(json).ErrorCode);
                    }
                }
                else if (opcode == Close)
                {
                    _errors.Add("closed:" + (length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(offset)) : 1005));
                    return false;
                }
                else if (opcode != Ping)
                {
                    // Pings are left unanswered: a window is far shorter than a keepalive timeout, and requests flow.
                    _errors.Add("frame:" + opcode);
                    return false;
                }
            }

            if (!await FillAsync())
            {
                _errors.Add("receive:eof");
                return false;
            }
        }
    }

    /// <summary>Takes one whole final frame from the buffer; a fragmented or masked server frame counts as an error.</summary>
    private bool TryTakeFrame(out byte opcode, out int offset, out int length)
    {
        opcode = 0;
        offset = 0;
        length = 0;
        ReadOnlySpan<byte> available = _buffer.AsSpan(_start, _end - _start);
        if (available.Length < 2)
        {
            return false;
        }

        int header = 2;
        long payload = available[1] & 0x7f;
        if (payload == 126)
        {
            header = 4;
            payload = available.Length < header ? -1 : BinaryPrimitives.ReadUInt16BigEndian(available[2..]);
        }
        else if (payload == 127)
        {
            header = 10;
            payload = available.Length < header ? -1 : (long)BinaryPrimitives.ReadUInt64BigEndian(available[2..]);
        }

        if (payload < 0 || header + payload > available.Length)
        {
            if (payload >= 0 && header + payload > _buffer.Length)
            {
                Array.Resize(ref _buffer, (int)Math.Max(_buffer.Length * 2L, header + payload));
            }

            return false;
        }

        if ((available[0] & 0x80) == 0 || (available[1] & 0x80) != 0)
        {
            throw new InvalidDataException("the server sent a fragmented or masked frame");
        }

        opcode = (byte)(available[0] & 0x0f);
        offset = _start + header;
        length = (int)payload;
        _start += header + length;
        return true;
    }

    /// <summary>Receives more bytes after what is buffered (moving the unread rest to the front first); false at end of stream.</summary>
    private async Task<bool> FillAsync()
    {
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (_end == _buffer.Length)
        {
            Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        int received = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, _deadline.Token);
        _end += received;
        return received > 0;
    }
}
