using System.Text;

namespace Realtime.Wire.Events;

/// <summary>
/// Ids in the shapes the hosted service uses: a prefix (`event_`, `item_`, `resp_`, `sess_`, `conv_`) plus 21
/// random alphanumerics, `call_` plus 16. Random rather than counters so ids never repeat across sessions or restarts.
/// </summary>
public static class RealtimeIds
{
    public const int RandomLength = 21;
    public const int CallRandomLength = 16;

    private static ReadOnlySpan<byte> Alphabet => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"u8;

    /// <summary>Writes prefix + random characters into <paramref name="destination"/>; returns the length written.</summary>
    public static int Write(ReadOnlySpan<byte> prefix, Span<byte> destination, int randomLength = RandomLength)
    {
        prefix.CopyTo(destination);
        Span<byte> target = destination.Slice(prefix.Length, randomLength);
        // Six random bits per candidate byte; 62 and 63 are rejected so every character is equally likely. One draw
        // of a few spare bytes almost always fills the id (a draw per 63 bits was ~3 thread-static lookups per id,
        // and every event carries one).
        Span<byte> random = stackalloc byte[RandomLength + 11];
        int filled = 0;
        while (filled < target.Length)
        {
            Random.Shared.NextBytes(random);
            for (int i = 0; i < random.Length && filled < target.Length; i++)
            {
                int index = random[i] & 63;
                if (index < 62)
                {
                    target[filled++] = Alphabet[index];
                }
            }
        }

        return prefix.Length + randomLength;
    }

    public static string New(ReadOnlySpan<byte> prefix, int randomLength = RandomLength)
    {
        Span<byte> buffer = stackalloc byte[32];
        int length = Write(prefix, buffer, randomLength);
        return Encoding.ASCII.GetString(buffer[..length]);
    }

    public static string NewItem() => New("item_"u8);

    public static string NewResponse() => New("resp_"u8);

    public static string NewSession() => New("sess_"u8);

    public static string NewConversation() => New("conv_"u8);

    public static string NewCall() => New("call_"u8, CallRandomLength);
}
