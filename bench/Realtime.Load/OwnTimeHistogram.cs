using System.Globalization;

namespace Realtime.Load;

/// <summary>
/// The server's own record of its share of each turn (`realtime.gateway.own_time`, stage first_audio: the time
/// from speech_stopped to the first audio delta with the backends' waits taken out), as cumulative Prometheus
/// buckets. Quantiles are read as bucket upper bounds: "p99 ≤ 1 ms" means at least 99 % of turns took ≤ 1 ms.
/// </summary>
public sealed record OwnTimeHistogram(IReadOnlyList<(double UpperBoundSeconds, long Count)> Buckets)
{
    private const string Prefix = "realtime_gateway_own_time_seconds_bucket{";

    public static readonly OwnTimeHistogram Empty = new([]);

    public long Total => Buckets.Count == 0 ? 0 : Buckets[^1].Count;

    /// <summary>Reads the first_audio buckets from a /metrics page.</summary>
    public static OwnTimeHistogram Parse(string metrics)
    {
        var buckets = new List<(double, long)>();
        foreach (string line in metrics.Split('\n'))
        {
            if (!line.StartsWith(Prefix, StringComparison.Ordinal) || !line.Contains("stage=\"first_audio\"", StringComparison.Ordinal))
            {
                continue;
            }

            int le = line.IndexOf("le=\"", StringComparison.Ordinal) + 4;
            string bound = line[le..line.IndexOf('"', le)];
            long count = (long)double.Parse(line[(line.LastIndexOf('}') + 1)..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            buckets.Add((bound == "+Inf" ? double.PositiveInfinity : double.Parse(bound, CultureInfo.InvariantCulture), count));
        }

        return new OwnTimeHistogram(buckets);
    }

    /// <summary>The turns recorded between two scrapes of the same server.</summary>
    public static OwnTimeHistogram operator -(OwnTimeHistogram after, OwnTimeHistogram before)
    {
        if (before.Buckets.Count == 0)
        {
            return after;
        }

        return new OwnTimeHistogram(after.Buckets.Select((b, i) => (b.UpperBoundSeconds, b.Count - before.Buckets[i].Count)).ToList());
    }

    /// <summary>The upper bound (ms) of the bucket holding quantile <paramref name="q"/>; NaN without data.</summary>
    public double QuantileBoundMs(double q)
    {
        long total = Total;
        if (total == 0)
        {
            return double.NaN;
        }

        foreach ((double bound, long count) in Buckets)
        {
            if (count >= q * total)
            {
                return bound * 1000;
            }
        }

        return double.PositiveInfinity;
    }

    /// <summary>Share of turns at or under <paramref name="ms"/> (a bucket bound).</summary>
    public double ShareAtOrUnder(double ms)
    {
        long total = Total;
        (double _, long count) = Buckets.LastOrDefault(b => b.UpperBoundSeconds * 1000 <= ms + 1e-9);
        return total == 0 ? double.NaN : (double)count / total;
    }
}
