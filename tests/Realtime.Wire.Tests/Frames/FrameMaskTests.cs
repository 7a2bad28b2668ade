using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

public sealed class FrameMaskTests
{
    [Fact]
    public void Vectorized_mask_matches_the_byte_loop_for_every_length_and_offset()
    {
        var random = new Random(3);
        byte[] key = [0x12, 0x34, 0xAB, 0xCD];
        uint mask = BitConverter.ToUInt32(key);
        for (int length = 0; length < 200; length++)
        {
            for (int offset = 0; offset < 4; offset++)
            {
                byte[] data = new byte[length];
                random.NextBytes(data);
                byte[] expected = data.Select((b, i) => (byte)(b ^ key[(i + offset) % 4])).ToArray();
                int next = FrameMask.Apply(data, mask, offset);
                Assert.Equal(expected, data);
                Assert.Equal((offset + length) % 4, next);
            }
        }
    }
}
