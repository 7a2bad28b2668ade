using System.Buffers;
using System.Net.WebSockets;
using System.Text;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

/// <summary>Our reader and writer against the runtime's ManagedWebSocket (WebSocket.CreateFromStream), both directions.</summary>
public sealed class DifferentialTests
{
    private static byte[] RandomMessage(Random random, bool text, int size)
    {
        if (!text)
        {
            byte[] bytes = new byte[size];
            random.NextBytes(bytes);
            return bytes;
        }

        const string alphabet = "abcxyz {}\":,é€𝄞ñ";
        var builder = new StringBuilder(size);
        int byteCount = 0;
        while (byteCount < size)
        {
            char c = alphabet[random.Next(alphabet.Length - 2)];
            builder.Append(c);
            byteCount += Encoding.UTF8.GetByteCount([c]);
            if (random.Next(10) == 0)
            {
                builder.Append("𝄞");
                byteCount += 4;
            }
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static int RandomSize(Random random) => random.Next(4) switch
    {
        0 => random.Next(0, 126),
        1 => random.Next(126, 70_000),
        2 => random.Next(0, 2000),
        _ => random.Next(65_530, 300_000),
    };

    [Fact]
    public async Task Their_masked_client_writer_to_our_reader()
    {
        var random = new Random(42);
        var stream = new MemoryStream();
        using WebSocket client = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        var sent = new List<(FrameOpcode, byte[])>();
        for (int m = 0; m < 40; m++)
        {
            bool text = random.Next(2) == 0;
            byte[] message = RandomMessage(random, text, RandomSize(random));
            sent.Add((text ? FrameOpcode.Text : FrameOpcode.Binary, message));
            // Random fragmentation; text fragments may cut a character (UTF-8 must be checked across them).
            int at = 0;
            do
            {
                int part = random.Next(3) == 0 ? message.Length - at : random.Next(0, message.Length - at + 1);
                bool last = at + part == message.Length;
                await client.SendAsync(message.AsMemory(at, part), text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, last, TestContext.Current.CancellationToken);
                at += part;
                if (last)
                {
                    break;
                }
            }
            while (true);
        }

        await client.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "done", TestContext.Current.CancellationToken);
        byte[] wire = stream.ToArray();

        foreach (IEnumerable<int> chunks in new[] { new[] { int.MaxValue }, ChunkedFeed.Random(1, 5000), ChunkedFeed.Random(2, 100_000) })
        {
            (List<string> events, string end) = ChunkedFeed.Run(wire, chunks);
            Assert.Equal("close:1000:done", end);
            Assert.Equal(sent.Count, events.Count);
        }

        // Exact bytes and kinds, from one whole read.
        using var exact = new FrameReader(1 << 20);
        var recorder = new RecordingHandler();
        Assert.Equal(FrameReadStatus.CloseReceived, exact.Read(new ReadOnlySequence<byte>(wire), ref recorder, out _, out _));
        for (int i = 0; i < sent.Count; i++)
        {
            Assert.Equal(sent[i].Item2, recorder.Messages[i]);
            Assert.StartsWith(sent[i].Item1.ToString(), recorder.Events[i]);
        }
    }

    [Fact]
    public async Task Our_writer_to_their_client_reader()
    {
        var random = new Random(4242);
        var output = new ArrayBufferWriter<byte>();
        var sent = new List<(WebSocketMessageType, byte[])>();
        for (int m = 0; m < 40; m++)
        {
            bool text = random.Next(2) == 0;
            byte[] message = RandomMessage(random, text, RandomSize(random));
            sent.Add((text ? WebSocketMessageType.Text : WebSocketMessageType.Binary, message));
            int fragment = random.Next(3) switch { 0 => 125, 1 => 65_536, _ => random.Next(1, 100_000) };
            int before = output.WrittenCount;
            FrameWriter.WriteMessage(output, text ? FrameOpcode.Text : FrameOpcode.Binary, message, fragment);
            Assert.Equal(FrameWriter.MessageLength(message.Length, fragment), output.WrittenCount - before);
        }

        FrameWriter.WriteClose(output, 1000, "bye"u8);
        using WebSocket client = WebSocket.CreateFromStream(new MemoryStream(output.WrittenSpan.ToArray()), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        byte[] buffer = new byte[400_000];
        foreach ((WebSocketMessageType type, byte[] message) in sent)
        {
            int length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await client.ReceiveAsync(buffer.AsMemory(length), TestContext.Current.CancellationToken);
                length += result.Count;
            }
            while (!result.EndOfMessage);
            Assert.Equal(type, result.MessageType);
            Assert.Equal(message, buffer[..length]);
        }

        ValueWebSocketReceiveResult close = await client.ReceiveAsync(buffer.AsMemory(), TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
        Assert.Equal("bye", client.CloseStatusDescription);
    }
}
