using System.Text;
using System.Text.Unicode;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

/// <summary>The vector validator gives the runtime's answer for every input: differential tests over edges and random text.</summary>
public sealed class Utf8SimdTests
{
    // The second byte is exhaustive; after it only "continuation or not" (and which lead) matters to the validator.
    private static readonly byte[] Followers = [0x41, 0x80, 0xBF, 0xC2, 0xF0];

    [Fact]
    public void Every_two_byte_window_with_any_next_two_bytes_at_every_position_around_a_block_boundary()
    {
        // 80 bytes: two 32-byte steps (lanes meet at 16 and 48, steps at 32), then a 16-byte step at 64.
        byte[] buffer = new byte[80];
        int checks = 0;
        foreach (int at in new[] { 0, 14, 15, 30, 31, 46, 62, 76 })
        {
            for (int pair = 0; pair < 65536; pair++)
            {
                foreach (byte third in Followers)
                {
                    foreach (byte fourth in Followers)
                    {
                        buffer.AsSpan().Fill((byte)'a');
                        buffer[at] = (byte)(pair >> 8);
                        buffer[at + 1] = (byte)pair;
                        if (at + 2 < buffer.Length)
                        {
                            buffer[at + 2] = third;
                        }

                        if (at + 3 < buffer.Length)
                        {
                            buffer[at + 3] = fourth;
                        }

                        Same(buffer);
                        checks++;
                    }
                }
            }
        }

        Assert.Equal(65536 * 25 * 8, checks);
    }

    [Fact]
    public void Known_errors_and_their_valid_neighbours()
    {
        string[] cases =
        [
            "C0 80", "C1 BF", "C2 80", "DF BF", "E0 80 80", "E0 9F BF", "E0 A0 80", "ED 9F BF", "ED A0 80", "ED BF BF",
            "EE 80 80", "EF BF BF", "F0 80 80 80", "F0 8F BF BF", "F0 90 80 80", "F4 8F BF BF", "F4 90 80 80", "F5 80 80 80",
            "FF", "80", "BF", "C2", "E1 80", "F1 80 80", "C2 41", "E1 80 41", "F1 80 80 41", "F1 80 80 80 80",
        ];
        foreach (string hex in cases)
        {
            byte[] sequence = Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));
            for (int prefix = 0; prefix <= 70; prefix++)
            {
                for (int suffix = 0; suffix <= 20; suffix += 5)
                {
                    byte[] input = [.. Enumerable.Repeat((byte)'x', prefix), .. sequence, .. Enumerable.Repeat((byte)'y', suffix)];
                    Same(input);
                }
            }
        }
    }

    [Fact]
    public void Random_text_in_every_script_and_its_mutations()
    {
        var random = new Random(3629);
        for (int n = 0; n < 20_000; n++)
        {
            var text = new StringBuilder();
            int length = random.Next(0, 200);
            while (text.Length < length)
            {
                int scalar = random.Next(4) switch
                {
                    0 => random.Next(0x20, 0x7F),
                    1 => random.Next(0x80, 0x800),
                    2 => random.Next(0x800, 0x10000),
                    _ => random.Next(0x10000, 0x110000),
                };
                if (scalar is >= 0xD800 and <= 0xDFFF)
                {
                    continue;
                }

                text.Append(char.ConvertFromUtf32(scalar));
            }

            byte[] valid = Encoding.UTF8.GetBytes(text.ToString());
            Assert.True(Utf8Simd.IsValid(valid));
            Same(valid);
            if (valid.Length > 0)
            {
                byte[] mutated = (byte[])valid.Clone();
                for (int k = random.Next(1, 4); k > 0; k--)
                {
                    mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
                }

                Same(mutated);
                Same(valid.AsSpan(0, random.Next(valid.Length)).ToArray());
            }
        }
    }

    private static void Same(byte[] input)
    {
        bool expected = Utf8.IsValid(input);
        if (Utf8Simd.IsValid(input) != expected)
        {
            Assert.Fail($"{Convert.ToHexString(input)}: runtime says {expected}");
        }
    }
}
