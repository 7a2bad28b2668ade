using System.Buffers;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

public sealed class FrameWriterTests
{
    [Theory]
    [InlineData(0, "8100")]
    [InlineData(125, "817D")]
    [InlineData(126, "817E007E")]
    [InlineData(65535, "817EFFFF")]
    [InlineData(65536, "817F0000000000010000")]
    public void Uses_the_shortest_length_encoding(int length, string header)
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(output, FrameOpcode.Text, new byte[length], int.MaxValue);
        Assert.Equal(header, Convert.ToHexString(output.WrittenSpan[..(header.Length / 2)]));
        Assert.Equal((header.Length / 2) + length, output.WrittenCount);
    }

    [Fact]
    public void Fragments_long_messages_into_continuation_frames()
    {
        var output = new ArrayBufferWriter<byte>();
        FrameWriter.WriteMessage(output, FrameOpcode.Text, "abcdefg"u8, 3);
        Assert.Equal("0103616263" + "0003646566" + "800167", Convert.ToHexString(output.WrittenSpan));
        Assert.Equal(output.WrittenCount, FrameWriter.MessageLength(7, 3));
    }

    [Fact]
    public void Close_reason_is_cut_on_a_character_boundary()
    {
        var output = new ArrayBufferWriter<byte>();
        byte[] reason = System.Text.Encoding.UTF8.GetBytes(new string('a', 122) + "€");
        FrameWriter.WriteClose(output, 3000, reason);
        Assert.Equal(0x88, output.WrittenSpan[0]);
        Assert.Equal(2 + 122, output.WrittenSpan[1]);
        Assert.Equal("0BB8", Convert.ToHexString(output.WrittenSpan.Slice(2, 2)));
    }
}
