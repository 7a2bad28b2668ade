using System.Buffers;
using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using Realtime.Wire.Frames;

namespace Realtime.Benchmarks.Frames;

/// <summary>
/// Parse + unmask + UTF-8 check of one masked client text message: our FrameReader against the runtime's
/// ManagedWebSocket (what ASP.NET Core's UseWebSockets runs), fed the same pre-masked bytes. Both copy the
/// frame from a buffer first (ours: into the "pipe" buffer, theirs: from the stream), so the work matches.
/// </summary>
[MemoryDiagnoser]
public class FrameReadBenchmarks
{
    private byte[] _wire = [];
    private byte[] _work = [];
    private byte[] _receive = [];
    private FrameReader _reader = null!;
    private WireSegment[] _segments = [];
    private WebSocket _managed = null!;

    [Params(1024, 64 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder();
        while (text.Length < Size)
        {
            text.Append("{\"type\":\"input_audio_buffer.append\",\"audio\":\"AAECAwQFBgcICQ==\",\"note\":\"é€\"}");
        }

        byte[] payload = Encoding.UTF8.GetBytes(text.ToString())[..Size];
        while ((payload[^1] & 0xC0) == 0x80 || payload[^1] >= 0xC0)
        {
            payload[^1] = (byte)'x';
        }

        _wire = MaskedTextFrame(payload);
        _work = new byte[_wire.Length];
        _receive = new byte[Size + 16];
        _reader = new FrameReader(32 * 1024 * 1024);
        _segments = new WireSegment[(_wire.Length + SegmentBytes - 1) / SegmentBytes];
        for (int i = 0; i < _segments.Length; i++)
        {
            _segments[i] = new WireSegment(new byte[Math.Min(SegmentBytes, _wire.Length - (i * SegmentBytes))], i * SegmentBytes, i > 0 ? _segments[i - 1] : null);
        }
        _managed = WebSocket.CreateFromStream(new ReplayStream(_wire), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _reader.Dispose();
        _managed.Dispose();
    }

    [Benchmark(Baseline = true)]
    public int ManagedWebSocket()
    {
        int length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = _managed.ReceiveAsync(_receive.AsMemory(length), default).AsTask().GetAwaiter().GetResult();
            length += result.Count;
        }
        while (!result.EndOfMessage);
        return length;
    }

    [Benchmark]
    public int FrameReader()
    {
        _wire.CopyTo(_work, 0);
        var handler = new LengthHandler();
        _reader.Read(new ReadOnlySequence<byte>(_work), ref handler, out _, out _);
        return handler.Length;
    }

    /// <summary>
    /// The frame as a socket delivers it into a pipe: 4 KB segments (Kestrel's block size), each copied in from the
    /// wire (the socket read, as ManagedWebSocket copies into its receive buffer) and offered to the reader as it
    /// lands, with what the reader has not consumed kept in front, exactly like PipeReader.
    /// </summary>
    [Benchmark]
    public int FrameReaderPipeSegments()
    {
        var handler = new LengthHandler();
        WireSegment first = _segments[0];
        int firstIndex = 0;
        for (int i = 0; i < _segments.Length; i++)
        {
            WireSegment segment = _segments[i];
            _wire.AsSpan((int)segment.RunningIndex, segment.Memory.Length).CopyTo(segment.Bytes);
            var buffer = new ReadOnlySequence<byte>(first, firstIndex, segment, segment.Memory.Length);
            _reader.Read(buffer, ref handler, out SequencePosition consumed, out _);
            if (buffer.Slice(consumed) is { IsEmpty: false } rest)
            {
                first = (WireSegment)rest.Start.GetObject()!;
                firstIndex = rest.Start.GetInteger();
            }
            else if (i + 1 < _segments.Length)
            {
                first = _segments[i + 1];
                firstIndex = 0;
            }
        }

        return handler.Length;
    }

    private const int SegmentBytes = 4096;

    private sealed class WireSegment : ReadOnlySequenceSegment<byte>
    {
        public WireSegment(byte[] bytes, long runningIndex, WireSegment? previous)
        {
            Bytes = bytes;
            Memory = bytes;
            RunningIndex = runningIndex;
            if (previous is not null)
            {
                previous.Next = this;
            }
        }

        public byte[] Bytes { get; }
    }

    private static byte[] MaskedTextFrame(byte[] payload)
    {
        int header = payload.Length <= 125 ? 2 : payload.Length <= ushort.MaxValue ? 4 : 10;
        byte[] frame = new byte[header + 4 + payload.Length];
        frame[0] = 0x81;
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

        byte[] key = [0x3A, 0x91, 0x0C, 0xE7];
        key.CopyTo(frame, header);
        for (int i = 0; i < payload.Length; i++)
        {
            frame[header + 4 + i] = (byte)(payload[i] ^ key[i % 4]);
        }

        return frame;
    }

    private struct LengthHandler : IFrameHandler
    {
        public int Length;

        public void OnMessage(FrameOpcode opcode, in ReadOnlySequence<byte> payload) => Length = (int)payload.Length;

        public void OnPing(ReadOnlySpan<byte> payload)
        {
        }

        public void OnPong(ReadOnlySpan<byte> payload)
        {
        }
    }
}
