using Realtime.Wire.Buffers;

namespace Realtime.Wire.Tests.Buffers;

/// <summary>The tracking mode of <see cref="BufferPool{T}"/>: outstanding rents, faulty returns kept out of the pool.</summary>
[Collection(PoolTrackingCollection.Name)]
public sealed class PoolTrackingTests
{
    [Fact]
    public void RentsAreOutstandingUntilReturnedAndASecondReturnIsAFaultWithItsStack()
    {
        PoolTracking.Start();
        try
        {
            byte[] a = BufferPool<byte>.Rent(1000);
            float[] b = BufferPool<float>.Rent(10);
            Assert.Equal(2, PoolTracking.Outstanding);
            Assert.Contains($"Byte[][{a.Length}]", PoolTracking.DescribeOutstanding());
            BufferPool<byte>.Return(a);
            BufferPool<float>.Return(b);
            Assert.Equal(0, PoolTracking.Outstanding);
            Assert.Empty(PoolTracking.Faults);

            BufferPool<byte>.Return(a);
            string fault = Assert.Single(PoolTracking.Faults);
            Assert.Contains("returned while not outstanding", fault, StringComparison.Ordinal);
            Assert.Contains(nameof(RentsAreOutstandingUntilReturnedAndASecondReturnIsAFaultWithItsStack), fault, StringComparison.Ordinal);

            // The faulty return did not reach the pool, so the array cannot be handed to two renters.
            byte[] c = BufferPool<byte>.Rent(1000);
            byte[] d = BufferPool<byte>.Rent(1000);
            Assert.NotSame(c, d);
            BufferPool<byte>.Return(c);
            BufferPool<byte>.Return(d);
            Assert.Single(PoolTracking.Faults);

            // Zero-length rents share one empty array and are not tracked.
            BufferPool<byte>.Return(BufferPool<byte>.Rent(0));
            Assert.Equal(0, PoolTracking.Outstanding);
        }
        finally
        {
            PoolTracking.Stop();
        }
    }

    [Fact]
    public void RentStacksNameTheLeaker()
    {
        PoolTracking.Start(captureRentStacks: true);
        try
        {
            byte[] leaked = BufferPool<byte>.Rent(64);
            string line = Assert.Single(PoolTracking.DescribeOutstanding());
            Assert.Contains(nameof(RentStacksNameTheLeaker), line, StringComparison.Ordinal);
            BufferPool<byte>.Return(leaked);
        }
        finally
        {
            PoolTracking.Stop();
        }

        // Off: nothing is recorded.
        BufferPool<byte>.Return(BufferPool<byte>.Rent(64));
        Assert.Equal(0, PoolTracking.Outstanding);
    }
}

/// <summary>Tracking is process-wide: these tests run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class PoolTrackingCollection
{
    public const string Name = "pool-tracking";
}
