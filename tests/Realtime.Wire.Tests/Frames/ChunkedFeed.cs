using System.Buffers;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

/// <summary>
/// Feeds bytes to a <see cref="FrameReader"/> the way a pipe does: each chunk is a new segment, unconsumed
/// bytes stay (as their original segments) in front of the next chunk, and every read ends with the
/// consumed position the reader returned.
/// </summary>
internal static class ChunkedFeed
{
    public static (List<string> Events, string End) Run(byte[] wire, IEnumerable<int> chunkSizes, long maxMessage = 1 << 20, bool expectMasked = true, long maxHeldFrameBytes = long.MaxValue)
    {
        using var reader = new FrameReader(maxMessage, expectMasked, maxHeldFrameBytes);
        var handler = new RecordingHandler();
        Segment? first = null, last = null;
        int firstIndex = 0;
        int at = 0;
        string end = "need-more";
        foreach (int size in chunkSizes.Append(int.MaxValue))
        {
            if (at >= wire.Length)
            {
                break;
            }

            int take = Math.Min(size, wire.Length - at);
            // A fresh copy, because the reader unmasks in place.
            var segment = new Segment(wire.AsSpan(at, take).ToArray(), last);
            at += take;
            if (first is null)
            {
                first = segment;
                firstIndex = 0;
            }

            last = segment;
            var buffer = new ReadOnlySequence<byte>(first, firstIndex, last, last.Memory.Length);
            FrameReadStatus status = reader.Read(buffer, ref handler, out SequencePosition consumed, out _);
            if (status != FrameReadStatus.NeedMoreData)
            {
                end = status == FrameReadStatus.CloseReceived
                    ? $"close:{reader.ReceivedCloseStatus}:{reader.ReceivedCloseReason}"
                    : $"violation:{reader.ViolationStatus}";
                break;
            }

            ReadOnlySequence<byte> rest = buffer.Slice(consumed);
            if (rest.IsEmpty)
            {
                first = last = null;
            }
            else
            {
                first = (Segment)rest.Start.GetObject()!;
                firstIndex = rest.Start.GetInteger();
            }
        }

        return (handler.Events, end);
    }

    public static IEnumerable<int> Ones() { while (true) { yield return 1; } }

    public static IEnumerable<int> Random(int seed, int max)
    {
        var random = new Random(seed);
        while (true) { yield return random.Next(1, max + 1); }
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(byte[] data, Segment? previous)
        {
            Memory = data;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
