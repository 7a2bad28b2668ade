using System.Buffers;
using System.Diagnostics.CodeAnalysis;

namespace Realtime.Wire.Buffers;

/// <summary>
/// The one way src rents and returns pooled arrays: <see cref="ArrayPool{T}.Shared"/>, plus the optional bookkeeping
/// of <see cref="PoolTracking"/> so tests can prove every rented array goes back exactly once. With tracking off the
/// only cost is one static bool read.
/// </summary>
[SuppressMessage("Design", "CA1000", Justification = "Mirrors ArrayPool<T>.Shared so call sites read BufferPool<byte>.Rent(n); the type argument cannot be inferred for Rent.")]
public static class BufferPool<T>
{
    public static T[] Rent(int minimumLength)
    {
        T[] array = ArrayPool<T>.Shared.Rent(minimumLength);
        if (PoolTracking.Enabled)
        {
            PoolTracking.OnRent(array);
        }

        return array;
    }

    public static void Return(T[] array, bool clearArray = false)
    {
        // A faulty return (not outstanding, or twice) is kept out of the shared pool so it cannot be handed to two renters.
        if (PoolTracking.Enabled && !PoolTracking.OnReturn(array))
        {
            return;
        }

        ArrayPool<T>.Shared.Return(array, clearArray);
    }
}
