namespace Realtime.Wire.Tests.Fuzz;

/// <summary>
/// Deterministic, structure-unaware mutations of seed inputs (bit flips, byte edits, inserts, deletes, splices,
/// interesting values, truncation, duplication) — a property-based generator in the spirit of libFuzzer's mutators.
/// </summary>
internal sealed class Mutator(int seed)
{
    private static readonly byte[] Interesting = [0x00, 0x01, 0x7D, 0x7E, 0x7F, 0x80, 0x81, 0x88, 0x89, 0x8A, 0xFF, 0xC0, 0xE0, 0xF0, 0xF4, 0xF5, (byte)'"', (byte)'\\', (byte)'{', (byte)'}', (byte)':', (byte)'\r', (byte)'\n'];
    private readonly Random _random = new(seed);

    public Random Random => _random;

    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        var data = new List<byte>(input);
        int rounds = 1 + _random.Next(4);
        for (int i = 0; i < rounds; i++)
        {
            switch (_random.Next(9))
            {
                case 0 when data.Count > 0:
                    int bit = _random.Next(data.Count * 8);
                    data[bit / 8] ^= (byte)(1 << (bit % 8));
                    break;
                case 1 when data.Count > 0:
                    data[_random.Next(data.Count)] = (byte)_random.Next(256);
                    break;
                case 2:
                    data.Insert(_random.Next(data.Count + 1), Interesting[_random.Next(Interesting.Length)]);
                    break;
                case 3 when data.Count > 0:
                    int at = _random.Next(data.Count);
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + _random.Next(8)));
                    break;
                case 4 when data.Count > 0:
                    int cut = _random.Next(data.Count);
                    data.RemoveRange(cut, data.Count - cut);
                    break;
                case 5:
                    byte[] other = corpus[_random.Next(corpus.Count)];
                    if (other.Length > 0)
                    {
                        int from = _random.Next(other.Length);
                        int length = Math.Min(other.Length - from, 1 + _random.Next(64));
                        data.InsertRange(_random.Next(data.Count + 1), other.AsSpan(from, length).ToArray());
                    }

                    break;
                case 6 when data.Count > 1:
                    int start = _random.Next(data.Count);
                    int count = Math.Min(data.Count - start, 1 + _random.Next(32));
                    data.InsertRange(_random.Next(data.Count + 1), data.GetRange(start, count));
                    break;
                case 7 when data.Count > 0:
                    data[_random.Next(data.Count)] = Interesting[_random.Next(Interesting.Length)];
                    break;
                default:
                    data.Add((byte)_random.Next(256));
                    break;
            }
        }

        return [.. data];
    }

    /// <summary>Splits <paramref name="length"/> bytes into 1–4 random chunk sizes (the way a socket delivers them).</summary>
    public int[] Chunks(int length)
    {
        int pieces = 1 + _random.Next(4);
        var sizes = new int[pieces];
        for (int i = 0; i < pieces - 1; i++)
        {
            sizes[i] = 1 + _random.Next(Math.Max(1, length / pieces));
        }

        sizes[^1] = int.MaxValue;
        return sizes;
    }
}
