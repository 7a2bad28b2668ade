using System.Collections.Concurrent;
using System.Diagnostics;

namespace Realtime.Wire.Buffers;

/// <summary>
/// Test-only bookkeeping for <see cref="BufferPool{T}"/>: while on, every rent is recorded as outstanding until its
/// return, and a return of an array that is not outstanding (never rented while tracking, or returned twice) is
/// recorded as a fault with the returning stack. Process-wide: tests that switch it on must not run in parallel with
/// other tests that use the pool.
/// </summary>
public static class PoolTracking
{
    private static readonly ConcurrentDictionary<object, string> s_outstanding = new(ReferenceEqualityComparer.Instance);
    private static readonly ConcurrentQueue<string> s_faults = new();

    /// <summary>Read on every rent and return; a plain static so the off state costs one load.</summary>
    internal static bool Enabled;

    private static bool s_captureRentStacks;

    /// <summary>Rented arrays not yet returned since <see cref="Start"/>.</summary>
    public static int Outstanding => s_outstanding.Count;

    /// <summary>Double returns and returns of arrays that were not outstanding, each with the stack of the return.</summary>
    public static IReadOnlyCollection<string> Faults => s_faults;

    /// <summary>Clears all records and starts tracking. <paramref name="captureRentStacks"/> keeps each rent's stack (slow) so leaks can be named.</summary>
    public static void Start(bool captureRentStacks = false)
    {
        Enabled = false;
        s_outstanding.Clear();
        s_faults.Clear();
        s_captureRentStacks = captureRentStacks;
        Enabled = true;
    }

    /// <summary>Stops recording; the records stay readable.</summary>
    public static void Stop() => Enabled = false;

    /// <summary>The outstanding arrays, each as its type and length (and rent stack when captured).</summary>
    public static IReadOnlyList<string> DescribeOutstanding()
    {
        var lines = new List<string>();
        foreach (KeyValuePair<object, string> entry in s_outstanding)
        {
            lines.Add(entry.Value);
        }

        return lines;
    }

    internal static void OnRent(Array array)
    {
        // The pool hands out one shared empty array for zero-length rents; it is never really borrowed.
        if (array.Length == 0)
        {
            return;
        }

        string what = $"{array.GetType().Name}[{array.Length}]";
        if (!s_outstanding.TryAdd(array, s_captureRentStacks ? what + " rented at\n" + new StackTrace(2, false) : what))
        {
            s_faults.Enqueue($"{what} handed out while still outstanding (an earlier holder returned it too early)\n{new StackTrace(2, false)}");
        }
    }

    /// <summary>False when the return is a fault (the array must then stay out of the pool).</summary>
    internal static bool OnReturn(Array array)
    {
        if (array.Length == 0 || s_outstanding.TryRemove(array, out _))
        {
            return true;
        }

        // Returned arrays are not remembered (that would keep them alive), so a second return and a return of an
        // array rented before Start look the same; tests start tracking before the sessions they check.
        s_faults.Enqueue($"{array.GetType().Name}[{array.Length}] returned while not outstanding (returned twice, or never rented while tracking)\n{new StackTrace(2, false)}");
        return false;
    }
}
