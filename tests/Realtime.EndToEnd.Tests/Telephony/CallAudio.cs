using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests.Telephony;

/// <summary>What a caller would hear, measured: the µ-law an item's frames carry, its loudness and its pitch.</summary>
internal static class CallAudio
{
    /// <summary>Splits the received stream into items by their marks (`item:ms`, last `item:ms:end`): frames belong to the next mark's item.</summary>
    public static Dictionary<string, ItemAudio> ByItem(IEnumerable<(string Kind, string? Name, byte[]? Audio)> received)
    {
        var items = new Dictionary<string, ItemAudio>(StringComparer.Ordinal);
        var frames = new List<byte[]>();
        foreach ((string kind, string? name, byte[]? audio) in received)
        {
            if (kind == "media" && audio is not null)
            {
                frames.Add(audio);
            }
            else if (kind == "mark" && name is not null)
            {
                string itemId = name[..name.IndexOf(':', StringComparison.Ordinal)];
                if (!items.TryGetValue(itemId, out ItemAudio? item))
                {
                    items[itemId] = item = new ItemAudio(itemId);
                }

                item.Frames.AddRange(frames);
                item.Marks.Add(name);
                frames.Clear();
            }
            else if (kind == "clear")
            {
                frames.Clear();
            }
        }

        return items;
    }

    public static short[] Decode(byte[] ulaw)
    {
        var pcm = new short[ulaw.Length];
        G711.DecodeMuLaw(ulaw, pcm);
        return pcm;
    }

    public static double Rms(ReadOnlySpan<short> pcm)
    {
        double sum = 0;
        foreach (short s in pcm)
        {
            sum += (double)s * s;
        }

        return pcm.IsEmpty ? 0 : Math.Sqrt(sum / pcm.Length);
    }

    /// <summary>Median pitch (Hz) of the loud 40 ms windows, by normalized autocorrelation over 60–400 Hz; 0 if none is voiced.</summary>
    public static double MedianPitch(short[] pcm)
    {
        const int rate = 8000, window = 320;
        double loudness = Rms(pcm);
        var pitches = new List<double>();
        for (int start = 0; start + window <= pcm.Length; start += window)
        {
            ReadOnlySpan<short> w = pcm.AsSpan(start, window);
            if (Rms(w) < loudness)
            {
                continue;
            }

            double best = 0;
            int bestLag = 0;
            for (int lag = rate / 400; lag <= rate / 60; lag++)
            {
                double num = 0, a = 0, b = 0;
                for (int i = 0; i + lag < window; i++)
                {
                    num += (double)w[i] * w[i + lag];
                    a += (double)w[i] * w[i];
                    b += (double)w[i + lag] * w[i + lag];
                }

                double r = a > 0 && b > 0 ? num / Math.Sqrt(a * b) : 0;
                if (r > best)
                {
                    best = r;
                    bestLag = lag;
                }
            }

            if (best > 0.5)
            {
                pitches.Add((double)rate / bestLag);
            }
        }

        pitches.Sort();
        return pitches.Count == 0 ? 0 : pitches[pitches.Count / 2];
    }

    /// <summary>The ms of a mark name `item:ms` or `item:ms:end`.</summary>
    public static long MarkMs(string name) => long.Parse(name.Split(':')[1], System.Globalization.CultureInfo.InvariantCulture);

    public static string MarkItem(string name) => name.Split(':')[0];
}

/// <summary>The frames and marks one assistant item arrived with.</summary>
internal sealed class ItemAudio(string id)
{
    public string Id => id;

    public List<byte[]> Frames { get; } = [];

    public List<string> Marks { get; } = [];

    public byte[] Audio => [.. Frames.SelectMany(f => f)];

    public bool Complete => Marks.Count > 0 && Marks[^1].EndsWith(":end", StringComparison.Ordinal);
}
