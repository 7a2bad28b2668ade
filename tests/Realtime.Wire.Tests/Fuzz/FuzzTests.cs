using System.Buffers;
using System.Diagnostics;
using Realtime.Wire.Events;
using Realtime.Wire.Frames;
using Realtime.Wire.Http;

namespace Realtime.Wire.Tests.Fuzz;

/// <summary>
/// Fuzzes the three parsers that see untrusted bytes: the frame reader, the upgrade request parser and handshake,
/// and the client event reader. Seeds come from corpus/ (kept in the repo); each run mutates them deterministically.
/// CI runs a short pass; `REALTIME_FUZZ_SCALE=500 dotnet test --project tests/Realtime.Wire.Tests -c Release -- --filter-class "*FuzzTests*"`
/// runs the long one (10 million frames, 1 million events). Properties: no exception escapes, every verdict is a
/// legal one, no input runs away in time, and memory stays bounded.
/// </summary>
public sealed class FuzzTests
{
    private static readonly int Scale = int.TryParse(Environment.GetEnvironmentVariable("REALTIME_FUZZ_SCALE"), out int s) && s > 0 ? s : 1;

    [Fact]
    public void FrameReaderSurvivesMutatedStreams()
    {
        byte[][] corpus = Corpus("frames");
        var mutator = new Mutator(seed: 6455);
        long frames = 0;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var clock = Stopwatch.StartNew();
        long target = 20_000L * Scale;
        while (frames < target)
        {
            byte[] input = mutator.Mutate(corpus[mutator.Random.Next(corpus.Length)], corpus);
            TimeSpan start = ThreadCpuClock.Now;
            frames += FeedFrames(input, mutator.Chunks(input.Length));
            Assert.True(ThreadCpuClock.Now - start < TimeSpan.FromSeconds(1), "one input took over a second of CPU");
        }

        long growth = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.True(growth < 16 << 20, $"managed memory grew by {growth} bytes over {frames} frames");
        TestContext.Current.SendDiagnosticMessage($"fuzzed {frames} frames in {clock.Elapsed}");
    }

    [Fact]
    public void HandshakeParserSurvivesMutatedRequests()
    {
        byte[][] corpus = Corpus("handshakes");
        var mutator = new Mutator(seed: 2616);
        var keys = new ApiKeySet(["sk-test"]);
        for (int i = 0; i < 20_000 * Scale; i++)
        {
            byte[] input = mutator.Mutate(corpus[mutator.Random.Next(corpus.Length)], corpus);
            UpgradeParseStatus status = UpgradeRequestParser.TryParse(new ReadOnlySequence<byte>(input), 16 * 1024, out UpgradeRequest? request, out SequencePosition end);
            Assert.True(Enum.IsDefined(status));
            _ = UpgradeRequestParser.StartsAsRealtimeRequest(new ReadOnlySequence<byte>(input));
            if (status == UpgradeParseStatus.Done)
            {
                Assert.NotNull(request);
                Assert.True(new ReadOnlySequence<byte>(input).Slice(0, end).Length <= input.Length);
                HandshakeDecision decision = Handshake.Decide(request, keys);
                var response = new ArrayBufferWriter<byte>();
                Handshake.WriteResponse(response, decision);
                Assert.StartsWith("HTTP/1.1 ", System.Text.Encoding.ASCII.GetString(response.WrittenSpan));
            }
        }
    }

    [Theory]
    [InlineData(Dialect.Ga)]
    [InlineData(Dialect.Beta)]
    public void ClientEventReaderSurvivesMutatedEvents(Dialect dialect)
    {
        byte[][] corpus = Corpus("events");
        var mutator = new Mutator(seed: dialect == Dialect.Ga ? 1 : 2);
        using var reader = new ClientEventReader(dialect, maxAppendBytes: 1 << 20);
        using var target = new ClientEvent();
        int accepted = 0;
        int events = 10_000 * Scale;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int i = 0; i < events; i++)
        {
            byte[] input = mutator.Mutate(corpus[mutator.Random.Next(corpus.Length)], corpus);
            if (reader.TryRead(Split(input, mutator), target, out ClientEventError? error))
            {
                accepted++;
            }
            else
            {
                Assert.NotNull(error);
                Assert.False(string.IsNullOrEmpty(error.Code) && string.IsNullOrEmpty(error.Message));
            }
        }

        long growth = GC.GetTotalMemory(forceFullCollection: true) - before;
        Assert.True(growth < 16 << 20, $"managed memory grew by {growth} bytes over {events} events");
        // The mutations keep enough events valid to reach the deep parsing paths, not only the JSON error path.
        Assert.InRange(accepted, events / 50, events - 1);
    }

    private static long FeedFrames(byte[] wire, int[] chunkSizes)
    {
        using var reader = new FrameReader(maxMessageBytes: 1 << 20);
        var handler = new CountingHandler();
        Segment? first = null, last = null;
        int firstIndex = 0, at = 0;
        foreach (int size in chunkSizes)
        {
            if (at >= wire.Length)
            {
                break;
            }

            int take = Math.Min(size, wire.Length - at);
            var segment = new Segment(wire.AsMemory(at, take), last);
            at += take;
            if (first is null)
            {
                first = segment;
                firstIndex = 0;
            }

            last = segment;
            var buffer = new ReadOnlySequence<byte>(first, firstIndex, last, last.Memory.Length);
            FrameReadStatus status = reader.Read(buffer, ref handler, out SequencePosition consumed, out SequencePosition examined);
            Assert.True(buffer.Slice(consumed).Length <= buffer.Length);
            if (status == FrameReadStatus.Violation)
            {
                Assert.Contains(reader.ViolationStatus, new ushort[] { CloseStatus.ProtocolError, CloseStatus.InvalidPayload, CloseStatus.MessageTooBig });
                break;
            }

            if (status == FrameReadStatus.CloseReceived)
            {
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

        return Math.Max(1, handler.Frames);
    }

    private static ReadOnlySequence<byte> Split(byte[] input, Mutator mutator)
    {
        if (input.Length < 2 || mutator.Random.Next(2) == 0)
        {
            return new ReadOnlySequence<byte>(input);
        }

        int cut = 1 + mutator.Random.Next(input.Length - 1);
        var head = new Segment(input.AsMemory(0, cut), null);
        var tail = new Segment(input.AsMemory(cut), head);
        return new ReadOnlySequence<byte>(head, 0, tail, tail.Memory.Length);
    }

    private static byte[][] Corpus(string kind)
    {
        string dir = Path.Combine(AppContext.BaseDirectory, "Fuzz", "corpus", kind);
        byte[][] files = [.. Directory.GetFiles(dir).Order(StringComparer.Ordinal).Select(File.ReadAllBytes)];
        Assert.NotEmpty(files);
        return files;
    }

    private struct CountingHandler : IFrameHandler
    {
        public long Frames;

        public void OnMessage(FrameOpcode opcode, in ReadOnlySequence<byte> payload) => Frames++;

        public void OnPing(ReadOnlySpan<byte> payload) => Frames++;

        public void OnPong(ReadOnlySpan<byte> payload) => Frames++;
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, Segment? previous)
        {
            Memory = memory;
            if (previous is not null)
            {
                RunningIndex = previous.RunningIndex + previous.Memory.Length;
                previous.Next = this;
            }
        }
    }
}
