using System.Diagnostics.Metrics;

namespace Realtime.Host.Observability;

/// <summary>
/// Events and bytes in and out of every session. An event only bumps a slot of an array indexed by its type label
/// (<see cref="EventTypeNames"/>); the exporter reads the slots when it scrapes, as it does VAD frames. A counter
/// with a tag would cost a lookup of the tag's aggregate in the metrics pipeline per event: several per cent of the
/// server's CPU on a text answer of a dozen events.
/// </summary>
internal static class EventCounts
{
    private static readonly long[] In = new long[EventTypeNames.Count];
    private static readonly long[] Out = new long[EventTypeNames.Count];
    private static long _bytesIn;
    private static long _bytesOut;

    /// <summary>A client message of label <paramref name="type"/> and <paramref name="bytes"/> payload bytes arrived.</summary>
    public static void Received(int type, long bytes)
    {
        Interlocked.Increment(ref In[type]);
        Interlocked.Add(ref _bytesIn, bytes);
    }

    /// <summary>A server event of label <paramref name="type"/> and <paramref name="bytes"/> payload bytes was sent.</summary>
    public static void Sent(int type, long bytes)
    {
        Interlocked.Increment(ref Out[type]);
        Interlocked.Add(ref _bytesOut, bytes);
    }

    public static IEnumerable<Measurement<long>> EventsIn() => Measure(In);

    public static IEnumerable<Measurement<long>> EventsOut() => Measure(Out);

    public static long BytesIn() => Interlocked.Read(ref _bytesIn);

    public static long BytesOut() => Interlocked.Read(ref _bytesOut);

    private static List<Measurement<long>> Measure(long[] counts)
    {
        var measurements = new List<Measurement<long>>();
        for (int i = 0; i < counts.Length; i++)
        {
            long count = Interlocked.Read(ref counts[i]);
            if (count != 0)
            {
                measurements.Add(new Measurement<long>(count, new KeyValuePair<string, object?>("type", EventTypeNames.Name(i))));
            }
        }

        return measurements;
    }
}
