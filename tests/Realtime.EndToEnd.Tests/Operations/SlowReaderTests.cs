using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>A raw client that asks for a long spoken answer and then stops reading: the server must not queue it all.</summary>
public sealed class SlowReaderTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task ClientThatStopsReadingIsClosedWith1008AndTheBacklogStaysBounded()
    {
        await using OpsServer server = await OpsServer.StartAsync("--Realtime:Limits:MaxPendingOutputBytes=65536", "--Realtime:WebSocket:CloseTimeoutSeconds=1");
        CancellationToken cancel = TestContext.Current.CancellationToken;
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(server.Http.Host, server.Http.Port, cancel);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        string head = $"GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: {server.Http.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {OpsServer.KeyA}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancel);

        // A long text answer is spoken as tens of seconds of 24 kHz audio: megabytes of base64 deltas.
        string text = string.Concat(Enumerable.Repeat("this answer is long enough to be spoken for quite a while ", 12));
        await stream.WriteAsync(MaskedText("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + text + "\"}]}}"), cancel);
        await stream.WriteAsync(MaskedText("{\"type\":\"response.create\"}"), cancel);

        // Read nothing until the server has given up on this session (its own registry, not the process-wide metrics,
        // which other tests' servers also feed): it must close it for the backlog, not buffer the whole answer.
        bool seenOpen = false, closed = false;
        for (int i = 0; i < 600 && !closed; i++)
        {
            await Task.Delay(50, cancel);
            // 503 while the engines still load; the body counts the sessions either way.
            using HttpResponseMessage response = await Http.GetAsync(new Uri(server.Http, "/readyz"), cancel);
            string ready = await response.Content.ReadAsStringAsync(cancel);
            seenOpen |= ready.Contains("\"sessions\":1", StringComparison.Ordinal);
            closed = seenOpen && ready.Contains("\"sessions\":0", StringComparison.Ordinal);
        }

        Assert.True(closed, "the server kept the session of a client that does not read");
        double produced = SumSeries(await Http.GetStringAsync(new Uri(server.Http, "/metrics"), cancel), "realtime_bytes_out_bytes_total");

        // Now read: what reaches the client is bounded by the limit plus transport buffers, and ends with a 1008 close.
        (long received, ushort closeStatus, string reason) = await ReadUntilCloseAsync(stream, cancel);
        Assert.Equal(1008, closeStatus);
        Assert.Equal("output backlog too large", reason);
        Assert.True(received < 2_000_000, $"received {received} of {produced} bytes");
        TestContext.Current.TestOutputHelper?.WriteLine($"slow reader: received {received} bytes; server metered {produced} bytes out (process-wide)");
    }

    private static byte[] MaskedText(string json)
    {
        byte[] payload = Encoding.UTF8.GetBytes(json);
        var frame = new List<byte> { 0x81 };
        if (payload.Length < 126)
        {
            frame.Add((byte)(0x80 | payload.Length));
        }
        else
        {
            frame.Add(0x80 | 126);
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }

        byte[] mask = RandomNumberGenerator.GetBytes(4);
        frame.AddRange(mask);
        for (int i = 0; i < payload.Length; i++)
        {
            frame.Add((byte)(payload[i] ^ mask[i % 4]));
        }

        return [.. frame];
    }

    private static async Task<(long Received, ushort Status, string Reason)> ReadUntilCloseAsync(NetworkStream stream, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var reader = new BufferedStream(stream, 1 << 16);
        long received = 0;

        // Skip the 101 head.
        int matched = 0;
        while (matched < 4)
        {
            int b = await ReadByteAsync(reader, timeout.Token);
            received++;
            matched = (b == '\r' || b == '\n') ? (b == (matched % 2 == 0 ? '\r' : '\n') ? matched + 1 : (b == '\r' ? 1 : 0)) : 0;
        }

        byte[] header = new byte[8];
        while (true)
        {
            await reader.ReadExactlyAsync(header.AsMemory(0, 2), timeout.Token);
            int opcode = header[0] & 0x0F;
            long length = header[1] & 0x7F;
            if (length == 126)
            {
                await reader.ReadExactlyAsync(header.AsMemory(0, 2), timeout.Token);
                length = BinaryPrimitives.ReadUInt16BigEndian(header);
            }
            else if (length == 127)
            {
                await reader.ReadExactlyAsync(header.AsMemory(0, 8), timeout.Token);
                length = (long)BinaryPrimitives.ReadUInt64BigEndian(header);
            }

            byte[] payload = new byte[length];
            await reader.ReadExactlyAsync(payload, timeout.Token);
            received += 2 + length;
            if (opcode == 8)
            {
                return (received, BinaryPrimitives.ReadUInt16BigEndian(payload), Encoding.UTF8.GetString(payload, 2, payload.Length - 2));
            }
        }
    }

    private static async Task<int> ReadByteAsync(Stream stream, CancellationToken cancel)
    {
        byte[] one = new byte[1];
        await stream.ReadExactlyAsync(one, cancel);
        return one[0];
    }

    private static double SumSeries(string metrics, string name)
    {
        double sum = 0;
        foreach (string line in metrics.Split('\n'))
        {
            if (line.StartsWith(name + "{", StringComparison.Ordinal) || line.StartsWith(name + " ", StringComparison.Ordinal))
            {
                sum += double.Parse(line[(line.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
            }
        }

        return sum;
    }
}
