using System.Buffers;
using System.Text;
using Realtime.Wire.Events;

namespace Realtime.Wire.Tests.Events;

public sealed class ClientEventReaderTests
{
    private static ReadOnlySequence<byte> Split(byte[] bytes, int cut)
    {
        if (cut <= 0 || cut >= bytes.Length)
        {
            return new ReadOnlySequence<byte>(bytes);
        }

        var first = new Segment(bytes.AsMemory(0, cut), 0);
        Segment last = first.Append(bytes.AsMemory(cut));
        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long index)
        {
            Memory = memory;
            RunningIndex = index;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }

    [Fact]
    public void AppendDecodesAtEveryCutPoint()
    {
        byte[] audio = new byte[301];
        new Random(7).NextBytes(audio);
        byte[] json = Encoding.UTF8.GetBytes($"{{\"event_id\":\"evt_1\",\"type\":\"input_audio_buffer.append\",\"audio\":\"{Convert.ToBase64String(audio)}\"}}");
        using var reader = new ClientEventReader(Dialect.Ga);
        using var evt = new ClientEvent();
        for (int cut = 0; cut <= json.Length; cut++)
        {
            Assert.True(reader.TryRead(Split(json, cut), evt, out ClientEventError? error), $"cut {cut}: {error}");
            Assert.Equal(ClientEventType.InputAudioBufferAppend, evt.Type);
            Assert.Equal(audio, evt.Audio.ToArray());
            Assert.Equal("evt_1", evt.EventId);
        }
    }

    [Fact]
    public void OneByteSegmentsParseLikeOneSpan()
    {
        byte[] audio = new byte[97];
        new Random(3).NextBytes(audio);
        byte[] json = Encoding.UTF8.GetBytes($"{{ \"type\" : \"input_audio_buffer.append\", \"audio\":\"{Convert.ToBase64String(audio).Replace("/", "\\/")}\", \"event_id\":\"e\\u0031\" }}");
        var first = new Segment(json.AsMemory(0, 1), 0);
        Segment last = first;
        for (int i = 1; i < json.Length; i++)
        {
            last = last.Append(json.AsMemory(i, 1));
        }

        using var reader = new ClientEventReader(Dialect.Ga);
        using var evt = new ClientEvent();
        Assert.True(reader.TryRead(new ReadOnlySequence<byte>(first, 0, last, 1), evt, out ClientEventError? error), error?.Message);
        Assert.Equal(audio, evt.Audio.ToArray());
        Assert.Equal("e1", evt.EventId);
    }

    [Fact]
    public void AppendWithEscapedSlashDecodes()
    {
        byte[] audio = [0xFF, 0xFF, 0xFE, 0x01, 0x02, 0x03];
        string b64 = Convert.ToBase64String(audio).Replace("/", "\\/");
        Assert.Contains("\\/", b64);
        using var reader = new ClientEventReader(Dialect.Ga);
        using var evt = new ClientEvent();
        Assert.True(reader.TryRead(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes($"{{\"type\":\"input_audio_buffer.append\",\"audio\":\"{b64}\"}}")), evt, out _));
        Assert.Equal(audio, evt.Audio.ToArray());
    }

    [Fact]
    public void WarmAppendAllocatesNothing()
    {
        byte[] json = Encoding.UTF8.GetBytes($"{{\"type\":\"input_audio_buffer.append\",\"event_id\":\"e1\",\"audio\":\"{Convert.ToBase64String(new byte[4800])}\"}}");
        var sequence = new ReadOnlySequence<byte>(json);
        using var reader = new ClientEventReader(Dialect.Ga);
        using var evt = new ClientEvent();
        for (int i = 0; i < 3; i++)
        {
            reader.TryRead(sequence, evt, out _);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 100; i++)
        {
            reader.TryRead(sequence, evt, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(4800, evt.AudioLength);
    }

    [Theory]
    [InlineData("{not json", "invalid_json", null)]
    [InlineData("[1]", "invalid_json", null)]
    [InlineData("{\"event_id\":\"x\"}", "missing_required_parameter", "type")]
    [InlineData("{\"type\":\"nope\"}", "invalid_value", "type")]
    [InlineData("{\"type\":\"output_audio_buffer.clear\"}", "invalid_value", "type")]
    [InlineData("{\"type\":\"input_audio_buffer.append\"}", "missing_required_parameter", "audio")]
    [InlineData("{\"type\":\"input_audio_buffer.append\",\"audio\":\"***\"}", "invalid_value", "audio")]
    [InlineData("{\"type\":\"input_audio_buffer.append\",\"audio\":5}", "invalid_type", "audio")]
    [InlineData("{\"type\":\"input_audio_buffer.commit\",\"bogus\":1}", "unknown_parameter", "bogus")]
    [InlineData("{\"type\":\"conversation.item.truncate\",\"item_id\":\"a\",\"content_index\":0,\"audio_end_ms\":1.5}", "invalid_type", "audio_end_ms")]
    [InlineData("{\"type\":\"conversation.item.truncate\",\"item_id\":\"a\",\"content_index\":0}", "missing_required_parameter", "audio_end_ms")]
    [InlineData("{\"type\":\"conversation.item.delete\"}", "missing_required_parameter", "item_id")]
    [InlineData("{\"type\":\"session.update\",\"session\":[]}", "invalid_type", "session")]
    [InlineData("{\"type\":\"response.cancel\",\"audio\":\"AA==\"}", "unknown_parameter", "audio")]
    public void ErrorsHaveExactCodeAndParam(string json, string code, string? param)
    {
        using var reader = new ClientEventReader(Dialect.Ga);
        using var evt = new ClientEvent();
        Assert.False(reader.TryRead(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(json)), evt, out ClientEventError? error));
        Assert.Equal(code, error!.Code);
        Assert.Equal(param, error.Param);
        Assert.Equal("invalid_request_error", error.Type);
    }

    [Fact]
    public void UnknownTypeListsSupportedValues()
    {
        using var reader = new ClientEventReader(Dialect.Ga);
        using var evt = new ClientEvent();
        reader.TryRead(new ReadOnlySequence<byte>("{\"type\":\"transcription_session.update\",\"event_id\":\"q\"}"u8.ToArray()), evt, out ClientEventError? error);
        Assert.StartsWith("Invalid value: 'transcription_session.update'. Supported values are: 'session.update', 'session.close',", error!.Message);
        Assert.EndsWith("'response.create', and 'response.cancel'.", error.Message);
        Assert.Equal("q", evt.EventId);
    }

    [Fact]
    public void BetaAcceptsTranscriptionSessionUpdate()
    {
        using var reader = new ClientEventReader(Dialect.Beta);
        using var evt = new ClientEvent();
        Assert.True(reader.TryRead(new ReadOnlySequence<byte>("{\"type\":\"transcription_session.update\",\"session\":{}}"u8.ToArray()), evt, out _));
        Assert.Equal(ClientEventType.TranscriptionSessionUpdate, evt.Type);
        Assert.Equal(System.Text.Json.JsonValueKind.Object, evt.Session.ValueKind);
    }

    [Fact]
    public void TruncateFieldsAreRead()
    {
        using var reader = new ClientEventReader(Dialect.Ga);
        using var evt = new ClientEvent();
        Assert.True(reader.TryRead(new ReadOnlySequence<byte>("{\"type\":\"conversation.item.truncate\",\"item_id\":\"item_1\",\"content_index\":0,\"audio_end_ms\":1500}"u8.ToArray()), evt, out _));
        Assert.Equal(("item_1", 0L, 1500L), (evt.ItemId, evt.ContentIndex!.Value, evt.AudioEndMs!.Value));
    }
}
