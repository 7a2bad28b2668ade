using System.Buffers;
using System.Net.WebSockets;
using BenchmarkDotNet.Attributes;
using Realtime.Wire.Frames;

namespace Realtime.Benchmarks.Frames;

/// <summary>
/// The same masked text message as <see cref="FrameReadBenchmarks"/>, but arriving the way a socket delivers it:
/// 4 KiB at a time, into 4 KiB pipe segments (Kestrel's block size). Ours is called after every arrival with the
/// unconsumed bytes, as the connection's read loop does; ManagedWebSocket reads from a stream that returns at most
/// 4 KiB per read. Both copy every byte once from the "socket".
/// </summary>
[MemoryDiagnoser]
public class FrameReadSegmentedBenchmarks
{
    private const int SocketRead = 4096;

    private byte[] _wire = [];
    private byte[] _receive = [];
    private Segment[] _segments = [];
    private FrameReader _reader = null!;
    private WebSocket _managed = null!;

    [Params(64 * 1024, 1024 * 1024)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _wire = FrameReadBenchmarks.MaskedTextFrame(FrameReadBenchmarks.MixedText(Size));
        _receive = new byte[Size + 16];
        _segments = new Segment[(_wire.Length + SocketRead - 1) / SocketRead];
        for (int i = 0; i < _segments.Length; i++)
        {
            _segments[i] = new Segment(new byte[Math.Min(SocketRead, _wire.Length - (i * SocketRead))], i == 0 ? null : _segments[i - 1]);
        }

        _reader = new FrameReader(32 * 1024 * 1024);
        _managed = WebSocket.CreateFromStream(new ReplayStream(_wire, SocketRead), new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.Zero });
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
        var handler = new FrameReadBenchmarks.LengthHandler();
        Segment first = _segments[0];
        int firstIndex = 0;
        for (int i = 0; i < _segments.Length; i++)
        {
            Segment arrived = _segments[i];
            _wire.AsSpan(i * SocketRead, arrived.Memory.Length).CopyTo(arrived.Bytes);
            var buffer = new ReadOnlySequence<byte>(first, firstIndex, arrived, arrived.Memory.Length);
            _reader.Read(buffer, ref handler, out SequencePosition consumed, out _);
            if (consumed.GetObject() is Segment at)
            {
                first = at;
                firstIndex = consumed.GetInteger();
            }
        }

        return handler.Length;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] bytes, Segment? previous)
        {
            Bytes = bytes;
            Memory = bytes;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }

        public byte[] Bytes { get; }
    }
}
