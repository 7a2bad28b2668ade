using System.Buffers;
using System.Text;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

public sealed class FrameReaderTests
{
    private static readonly byte[] Hello = Encoding.UTF8.GetBytes("héllo wörld €𝄞");

    private static byte[] MixedStream()
    {
        byte[] medium = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("añ€𝄞", 40)));
        return ClientFrames.Concat(
            ClientFrames.Frame(FrameOpcode.Text, Hello),
            ClientFrames.Frame(FrameOpcode.Text, []),
            ClientFrames.Frame(FrameOpcode.Ping, [1, 2, 3, 4]),
            ClientFrames.Frame(FrameOpcode.Binary, [.. Enumerable.Range(0, 300).Select(i => (byte)i)], mask: 0x01020304),
            // A fragmented text message split inside multi-byte characters, with a ping in between.
            ClientFrames.Frame(FrameOpcode.Text, medium[..7], fin: false),
            ClientFrames.Frame(FrameOpcode.Ping, [9]),
            ClientFrames.Frame(FrameOpcode.Continuation, medium[7..150], fin: false, mask: 0xFFFFFFFF),
            ClientFrames.Frame(FrameOpcode.Continuation, [], fin: false),
            ClientFrames.Frame(FrameOpcode.Continuation, medium[150..], fin: true),
            ClientFrames.Frame(FrameOpcode.Pong, []),
            ClientFrames.Close(1000, "bye"u8.ToArray()));
    }

    [Fact]
    public void Whole_stream_gives_the_expected_events()
    {
        (List<string> events, string end) = ChunkedFeed.Run(MixedStream(), [int.MaxValue]);
        Assert.Equal("close:1000:bye", end);
        Assert.Equal(7, events.Count);
        Assert.StartsWith($"Text:{Hello.Length}:", events[0]);
        Assert.StartsWith("Text:0:", events[1]);
        Assert.Equal("ping:01020304", events[2]);
        Assert.StartsWith("Binary:300:", events[3]);
        Assert.Equal("ping:09", events[4]);
        Assert.StartsWith($"Text:{Encoding.UTF8.GetByteCount(string.Concat(Enumerable.Repeat("añ€𝄞", 40)))}:", events[5]);
        Assert.Equal("pong:", events[6]);
    }

    [Fact]
    public void Delivered_bytes_are_the_unmasked_payload()
    {
        using var reader = new FrameReader(1 << 20);
        var handler = new RecordingHandler();
        byte[] wire = ClientFrames.Frame(FrameOpcode.Text, Hello);
        reader.Read(new(wire), ref handler, out _, out _);
        Assert.Equal(Hello, handler.Messages[0]);
    }

    [Fact]
    public void Frame_still_arriving_stays_unconsumed_until_whole_then_is_read_in_place()
    {
        byte[] payload = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("añ€𝄞 base64 AAECAwQF ", 4000)));
        Assert.InRange(payload.Length, 64 * 1024, 256 * 1024);
        byte[] wire = ClientFrames.Frame(FrameOpcode.Text, payload);
        using var reader = new FrameReader(1 << 20);
        var handler = new RecordingHandler();

        // Every prefix short of the whole frame: nothing consumed, nothing delivered, no reassembly started.
        foreach (int prefix in new[] { 1, 13, 14, 4096, wire.Length / 2, wire.Length - 1 })
        {
            var partial = new ReadOnlySequence<byte>(wire, 0, prefix);
            Assert.Equal(FrameReadStatus.NeedMoreData, reader.Read(partial, ref handler, out SequencePosition consumed, out SequencePosition examined));
            Assert.Equal(0, partial.Slice(0, consumed).Length);
            Assert.Equal(partial.End, examined);
        }

        Assert.Empty(handler.Messages);
        var whole = new ReadOnlySequence<byte>(wire);
        Assert.Equal(FrameReadStatus.NeedMoreData, reader.Read(whole, ref handler, out SequencePosition end, out _));
        Assert.Equal(whole.End, end);
        Assert.Equal(payload, Assert.Single(handler.Messages));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    [InlineData(256 * 1024)]
    [InlineData(long.MaxValue)]
    public void Held_and_copied_frames_in_pipe_sized_chunks_give_the_same_messages(long heldLimit)
    {
        // Below, at and above the limit, split as a socket delivers it, with a ping between two of the messages.
        byte[][] payloads = [.. new[] { 3000, 70_000, 300_000 }.Select(n => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("é-x", n / 4))))];
        byte[] wire = ClientFrames.Concat(
            ClientFrames.Frame(FrameOpcode.Text, payloads[0]),
            ClientFrames.Frame(FrameOpcode.Binary, payloads[1]),
            ClientFrames.Frame(FrameOpcode.Ping, [7]),
            ClientFrames.Frame(FrameOpcode.Text, payloads[2]));
        (List<string> expected, _) = ChunkedFeed.Run(wire, [int.MaxValue]);
        (List<string> chunked, string end) = ChunkedFeed.Run(wire, ChunkedFeed.Random(11, 65536), maxHeldFrameBytes: heldLimit);
        Assert.Equal(expected, chunked);
        Assert.Equal("need-more", end);
        Assert.Equal(4, expected.Count);
    }

    [Fact]
    public void One_byte_chunks_and_every_cut_point_give_identical_results()
    {
        byte[] wire = MixedStream();
        (List<string> expected, string expectedEnd) = ChunkedFeed.Run(wire, [int.MaxValue]);

        (List<string> ones, string onesEnd) = ChunkedFeed.Run(wire, ChunkedFeed.Ones());
        Assert.Equal(expected, ones);
        Assert.Equal(expectedEnd, onesEnd);

        for (int cut = 1; cut < wire.Length; cut++)
        {
            (List<string> events, string end) = ChunkedFeed.Run(wire, [cut]);
            Assert.Equal(expected, events);
            Assert.Equal(expectedEnd, end);
        }

        for (int seed = 0; seed < 50; seed++)
        {
            (List<string> events, string end) = ChunkedFeed.Run(wire, ChunkedFeed.Random(seed, 40));
            Assert.Equal(expected, events);
            Assert.Equal(expectedEnd, end);
        }
    }

    [Fact]
    public void Large_messages_use_all_length_encodings_in_any_split()
    {
        var random = new Random(7);
        byte[] big = new byte[70_000];
        random.NextBytes(big);
        byte[] text = Encoding.UTF8.GetBytes(new string('x', 65_535));
        byte[] wire = ClientFrames.Concat(
            ClientFrames.Frame(FrameOpcode.Binary, big),
            ClientFrames.Frame(FrameOpcode.Text, text),
            ClientFrames.Frame(FrameOpcode.Text, big.Select(b => (byte)(b & 0x7F)).ToArray()[..126]));
        (List<string> expected, _) = ChunkedFeed.Run(wire, [int.MaxValue]);
        Assert.Equal(3, expected.Count);
        Assert.StartsWith("Binary:70000:", expected[0]);
        Assert.StartsWith("Text:65535:", expected[1]);
        Assert.StartsWith("Text:126:", expected[2]);
        foreach (int max in new[] { 3, 1000, 40_000 })
        {
            Assert.Equal(expected, ChunkedFeed.Run(wire, ChunkedFeed.Random(max, max)).Events);
        }
    }

    [Fact]
    public void Frames_held_in_the_pipe_and_frames_copied_as_they_arrive_decode_the_same()
    {
        // Held: a frame arriving in pieces stays unconsumed and is handed over from the pipe's segments. Copied: frames
        // above the hold limit (the pipe's pause threshold) go into a message buffer. Same events, any split.
        var random = new Random(11);
        byte[] big = new byte[70_000];
        random.NextBytes(big);
        byte[] wire = ClientFrames.Concat(
            MixedStream(),
            ClientFrames.Frame(FrameOpcode.Binary, big),
            ClientFrames.Frame(FrameOpcode.Text, Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("é€😀 ", 5_000)))));
        (List<string> expected, string expectedEnd) = ChunkedFeed.Run(wire, [int.MaxValue]);
        foreach (int max in new[] { 1, 7, 4096, 40_000 })
        {
            foreach (long held in new[] { 0L, 200L, long.MaxValue })
            {
                (List<string> events, string end) = ChunkedFeed.Run(wire, ChunkedFeed.Random(max, max), maxHeldFrameBytes: held);
                Assert.Equal(expected, events);
                Assert.Equal(expectedEnd, end);
            }
        }
    }

    [Fact]
    public void Invalid_utf8_in_a_held_frame_is_caught_before_the_frame_is_complete()
    {
        byte[] payload = Encoding.UTF8.GetBytes(new string('a', 10_000));
        payload[100] = 0xFF;
        byte[] wire = ClientFrames.Frame(FrameOpcode.Text, payload);
        // Only the first 2 KB arrive: the violation is already known.
        (List<string> events, string end) = ChunkedFeed.Run(wire[..2048], ChunkedFeed.Random(3, 300));
        Assert.Empty(events);
        Assert.Equal($"violation:{CloseStatus.InvalidPayload}", end);
    }

    public static TheoryData<string, byte[], ushort> Violations()
    {
        var data = new TheoryData<string, byte[], ushort>
        {
            { "unmasked client frame", ClientFrames.Frame(FrameOpcode.Text, Hello, masked: false), 1002 },
            { "RSV1 set", ClientFrames.Frame(FrameOpcode.Text, Hello, rsv: 0x40), 1002 },
            { "RSV3 set", ClientFrames.Frame(FrameOpcode.Binary, [1], rsv: 0x10), 1002 },
            { "opcode 3", ClientFrames.Frame((FrameOpcode)3, [1]), 1002 },
            { "opcode 0xB", ClientFrames.Frame((FrameOpcode)0xB, []), 1002 },
            { "fragmented ping", ClientFrames.Frame(FrameOpcode.Ping, [1], fin: false), 1002 },
            { "ping over 125", ClientFrames.Frame(FrameOpcode.Ping, new byte[126]), 1002 },
            { "close over 125", ClientFrames.Close(1000, new byte[124]), 1002 },
            { "continuation first", ClientFrames.Frame(FrameOpcode.Continuation, [1]), 1002 },
            { "text inside fragmented text", ClientFrames.Concat(ClientFrames.Frame(FrameOpcode.Text, [65], fin: false), ClientFrames.Frame(FrameOpcode.Text, [65])), 1002 },
            { "binary inside fragmented text", ClientFrames.Concat(ClientFrames.Frame(FrameOpcode.Text, [65], fin: false), ClientFrames.Frame(FrameOpcode.Binary, [65])), 1002 },
            { "invalid UTF-8", ClientFrames.Frame(FrameOpcode.Text, [0xC0, 0x80]), 1007 },
            { "surrogate in UTF-8", ClientFrames.Frame(FrameOpcode.Text, [0xED, 0xA0, 0x80]), 1007 },
            { "invalid UTF-8 across fragments", ClientFrames.Concat(ClientFrames.Frame(FrameOpcode.Text, [0xE2, 0x82], fin: false), ClientFrames.Frame(FrameOpcode.Continuation, [0x28])), 1007 },
            { "UTF-8 cut at message end", ClientFrames.Concat(ClientFrames.Frame(FrameOpcode.Text, [65, 0xE2], fin: false), ClientFrames.Frame(FrameOpcode.Continuation, [0x82])), 1007 },
            { "message over limit", ClientFrames.Frame(FrameOpcode.Binary, [], claimedLength: 4097), 1009 },
            { "fragments over limit", ClientFrames.Concat(ClientFrames.Frame(FrameOpcode.Text, new byte[3000], fin: false), ClientFrames.Frame(FrameOpcode.Continuation, new byte[1097])), 1009 },
            { "64-bit length with top bit", [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], 1002 },
            { "close with one byte", ClientFrames.Frame(FrameOpcode.Close, [3]), 1002 },
            { "close code 1005", ClientFrames.Close(1005, []), 1002 },
            { "close code 999", ClientFrames.Close(999, []), 1002 },
            { "close code 2000", ClientFrames.Close(2000, []), 1002 },
            { "close reason not UTF-8", ClientFrames.Close(1000, [0xFF]), 1007 },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Violations))]
    public void Violation_gives_its_close_code(string name, byte[] wire, ushort code)
    {
        Assert.Equal($"violation:{code}", ChunkedFeed.Run(wire, [int.MaxValue], maxMessage: 4096).End);
        Assert.Equal($"violation:{code}", ChunkedFeed.Run(wire, ChunkedFeed.Ones(), maxMessage: 4096).End);
        Assert.NotEmpty(name);
    }

    [Fact]
    public void Over_limit_is_rejected_at_the_header_before_the_payload_arrives()
    {
        byte[] header = ClientFrames.Frame(FrameOpcode.Binary, [], claimedLength: 20_000_000);
        // Only the 14 header bytes are fed: the reader must not wait for (or buffer) 20 MB.
        Assert.Equal("violation:1009", ChunkedFeed.Run(header, [int.MaxValue], maxMessage: 16 * 1024 * 1024).End);
    }

    [Fact]
    public void Close_without_code_reports_1005()
    {
        Assert.Equal("close:1005:", ChunkedFeed.Run(ClientFrames.Frame(FrameOpcode.Close, []), [int.MaxValue]).End);
    }

    [Fact]
    public void Warm_frame_read_allocates_nothing()
    {
        byte[] single = ClientFrames.Frame(FrameOpcode.Text, Encoding.UTF8.GetBytes(new string('a', 1000) + "€"));
        byte[] fragmented = ClientFrames.Concat(
            ClientFrames.Frame(FrameOpcode.Text, Encoding.UTF8.GetBytes(new string('b', 5000)), fin: false),
            ClientFrames.Frame(FrameOpcode.Ping, [1, 2]),
            ClientFrames.Frame(FrameOpcode.Continuation, Encoding.UTF8.GetBytes("€ end")));
        byte[] work = new byte[fragmented.Length];
        using var reader = new FrameReader(1 << 20);
        var handler = new CountingHandler();

        void ReadBoth()
        {
            single.CopyTo(work, 0);
            reader.Read(new System.Buffers.ReadOnlySequence<byte>(work, 0, single.Length), ref handler, out _, out _);
            fragmented.CopyTo(work, 0);
            // Feed the fragmented message in two reads to take the assembling path.
            int half = fragmented.Length / 2;
            reader.Read(new System.Buffers.ReadOnlySequence<byte>(work, 0, half), ref handler, out _, out _);
            reader.Read(new System.Buffers.ReadOnlySequence<byte>(work, half, fragmented.Length - half), ref handler, out _, out _);
        }

        for (int i = 0; i < 10; i++)
        {
            ReadBoth();
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            ReadBoth();
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(220, handler.Messages);
        Assert.Equal(110, handler.Pings);
    }

    private struct CountingHandler : IFrameHandler
    {
        public int Messages;
        public int Pings;

        public void OnMessage(FrameOpcode opcode, in System.Buffers.ReadOnlySequence<byte> payload) => Messages++;

        public void OnPing(ReadOnlySpan<byte> payload) => Pings++;

        public void OnPong(ReadOnlySpan<byte> payload)
        {
        }
    }
}
