using System.Text;
using System.Text.Unicode;
using Realtime.Wire.Frames;

namespace Realtime.Wire.Tests.Frames;

public sealed class Utf8StreamValidatorTests
{
    private static bool Chunked(byte[] bytes, IEnumerable<int> cuts)
    {
        var validator = default(Utf8StreamValidator);
        int at = 0;
        foreach (int cut in cuts.Where(c => c > 0 && c < bytes.Length).Order())
        {
            if (!validator.Append(bytes.AsSpan(at, cut - at), isFinal: false))
            {
                return false;
            }

            at = cut;
        }

        return validator.Append(bytes.AsSpan(at), isFinal: true);
    }

    [Fact]
    public void Valid_text_passes_at_every_cut_point()
    {
        byte[] text = Encoding.UTF8.GetBytes("aé€𝄞z\u07FF\uFFFD");
        for (int cut = 0; cut <= text.Length; cut++)
        {
            Assert.True(Chunked(text, [cut]));
        }

        Assert.True(Chunked(text, Enumerable.Range(1, text.Length)));
    }

    [Fact]
    public void Agrees_with_the_one_shot_check_on_random_bytes_and_splits()
    {
        var random = new Random(11);
        byte[] pool = [0x41, 0x7F, 0x80, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xA0, 0xED, 0x9F, 0xEF, 0xF0, 0x90, 0xF4, 0x8F, 0xF5, 0xFF];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] bytes = new byte[random.Next(0, 9)];
            for (int k = 0; k < bytes.Length; k++)
            {
                bytes[k] = pool[random.Next(pool.Length)];
            }

            int[] cuts = [random.Next(0, 10), random.Next(0, 10), random.Next(0, 10)];
            Assert.Equal(Utf8.IsValid(bytes), Chunked(bytes, cuts));
        }
    }

    [Fact]
    public void Invalid_prefix_fails_before_the_message_ends()
    {
        var validator = default(Utf8StreamValidator);
        Assert.False(validator.Append([0x41, 0xF5], isFinal: false));
        validator = default;
        Assert.False(validator.Append([0xE0, 0x80], isFinal: false));
    }
}
