using System.Buffers.Binary;
using System.Globalization;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>A raw client that asks for a long spoken answer and then stops reading: the server must not queue it all.</summary>
public sealed class SlowReaderTests
{
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private const int Limit = 65536;

    [Fact]
    public async Task ClientThatStopsReadingIsClosedWith1008AndTheBacklogStaysBounded()
    {
        var capture = new CapturingLoggerProvider();
        await using OpsServer server = await OpsServer.StartAsync(
            builder => builder.Logging.AddProvider(capture),
            $"--Realtime:Limits:MaxPendingOutputBytes={Limit}",
            "--Realtime:WebSocket:CloseTimeoutSeconds=1",
            // A client that reads nothing answers no ping either: with keepalive on, a slow machine (the answer
            // synthesized slowly) could see the session closed for the unanswered ping before the backlog builds up.
            "--Realtime:WebSocket:KeepAliveIntervalSeconds=0");
        CancellationToken cancel = TestContext.Current.CancellationToken;

        // A small receive buffer on the test's own socket only makes the backlog build up sooner; the bound asserted
        // below is the server's own figure, whatever the kernel buffers (Linux autotunes them up to megabytes).
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await socket.ConnectAsync(server.Http.Host, server.Http.Port, cancel);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        string head = $"GET /v1/realtime?model=gpt-realtime HTTP/1.1\r\nHost: {server.Http.Authority}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
            $"Sec-WebSocket-Key: {Convert.ToBase64String(RandomNumberGenerator.GetBytes(16))}\r\nSec-WebSocket-Version: 13\r\nAuthorization: Bearer {OpsServer.KeyA}\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head), cancel);

        // A long text answer is spoken as minutes of 24 kHz audio: megabytes of base64 deltas, more than the kernel can
        // hold for a peer that reads nothing. (With a fixed 12 sentences, ~2.2 MB, a sender buffer autotuned to
        // tcp_wmem's 4 MiB sometimes took the whole answer: no backlog ever built up on the server, and the test
        // waited for a close that had no reason to come. One sentence is ~3.5 s of speech, ~220 KB of deltas.)
        int sentences = 12 + (int)(2 * KernelSendBufferMaxBytes() / 200_000);
        string text = string.Concat(Enumerable.Repeat("this answer is long enough to be spoken for quite a while ", sentences));
        await stream.WriteAsync(MaskedText("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + text + "\"}]}}"), cancel);
        await stream.WriteAsync(MaskedText("{\"type\":\"response.create\"}"), cancel);

        // Read nothing until the server has given up on this session (its own registry, not the process-wide metrics,
        // which other tests' servers also feed): it must close it for the backlog, not buffer the whole answer.
        bool seenOpen = false, closed = false;
        for (int i = 0; i < 1200 && !closed; i++)
        {
            await Task.Delay(50, cancel);
            // 503 while the engines still load; the body counts the sessions either way.
            using HttpResponseMessage response = await Http.GetAsync(new Uri(server.Http, "/readyz"), cancel);
            string ready = await response.Content.ReadAsStringAsync(cancel);
            seenOpen |= ready.Contains("\"sessions\":1", StringComparison.Ordinal);
            closed = seenOpen && ready.Contains("\"sessions\":0", StringComparison.Ordinal);
        }

        Assert.True(closed, "the server kept the session of a client that does not read; it logged:\n" + string.Join("\n", capture.Lines.Select(l => l.Level + " " + l.Message)));

        // The server's own account of the backlog: it crossed the limit with one message and went no further
        // (besides at most one pong and the close frame, each at most 2 + 125 bytes).
        // The line is written when the connection has ended, just after the registry let the session go.
        static bool IsBacklogClose(CapturedLog l) => l.Level == LogLevel.Warning && l.Message.Contains("closed with 1008", StringComparison.Ordinal);
        Assert.True(await Faults.Turns.EventuallyAsync(() => capture.Lines.Any(IsBacklogClose)), "no 1008 line was logged; the server logged:\n" + string.Join("\n", capture.Lines.Where(l => l.Level >= LogLevel.Information).Select(l => l.Message)));
        CapturedLog line = Assert.Single(capture.Lines, IsBacklogClose);
        long peak = Convert.ToInt64(line.Values["PeakPendingBytes"], CultureInfo.InvariantCulture);
        long largest = Convert.ToInt64(line.Values["LargestMessageBytes"], CultureInfo.InvariantCulture);
        Assert.Equal((long)Limit, Convert.ToInt64(line.Values["MaxPendingOutputBytes"], CultureInfo.InvariantCulture));
        Assert.Equal("output backlog too large", line.Values["Reason"]);
        Assert.InRange(largest, 1, Limit);
        Assert.InRange(peak, Limit + 1, Limit + largest + (2 * 127));

        // Now read: the frames end with a 1008 close and its reason, and the answer was cut off, not delivered whole.
        (long received, ushort closeStatus, string reason, bool sawDone) = await ReadUntilCloseAsync(stream, cancel);
        Assert.Equal(1008, closeStatus);
        Assert.Equal("output backlog too large", reason);
        Assert.False(sawDone, "the whole answer reached a client that was not reading");
        TestContext.Current.TestOutputHelper?.WriteLine($"slow reader: server queued at most {peak} bytes (limit {Limit}, largest message {largest}); client received {received} bytes");
    }

    /// <summary>The most a TCP socket's send buffer may autotune to here (tcp_wmem's maximum; 4 MiB if unknown).</summary>
    private static long KernelSendBufferMaxBytes()
    {
        try
        {
            string[] fields = File.ReadAllText("/proc/sys/net/ipv4/tcp_wmem").Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(fields[^1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return 4 * 1024 * 1024;
        }
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

    private static async Task<(long Received, ushort Status, string Reason, bool SawResponseDone)> ReadUntilCloseAsync(NetworkStream stream, CancellationToken cancel)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        var reader = new BufferedStream(stream, 1 << 16);
        long received = 0;
        bool sawDone = false;

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
                return (received, BinaryPrimitives.ReadUInt16BigEndian(payload), Encoding.UTF8.GetString(payload, 2, payload.Length - 2), sawDone);
            }

            sawDone |= opcode == 1 && payload.AsSpan().IndexOf("\"type\":\"response.done\""u8) >= 0;
        }
    }

    private static async Task<int> ReadByteAsync(Stream stream, CancellationToken cancel)
    {
        byte[] one = new byte[1];
        await stream.ReadExactlyAsync(one, cancel);
        return one[0];
    }
}
