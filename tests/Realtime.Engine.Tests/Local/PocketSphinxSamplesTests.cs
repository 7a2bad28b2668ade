using Realtime.Engines.Local.PocketSphinx;

namespace Realtime.Engine.Tests.Local;

public sealed class PocketSphinxSamplesTests
{
    [Fact]
    public void VectorPathMatchesTheScalarConversionIncludingClippingAndTail()
    {
        var random = new Random(7);
        var source = new float[1603];
        for (var i = 0; i < source.Length; i++)
        {
            source[i] = (float)((random.NextDouble() * 2.4) - 1.2);
        }

        source[0] = 1f;
        source[1] = -1f;
        source[2] = 0f;
        var destination = new short[source.Length];
        PocketSphinxSamples.ToPcm16(source, destination);

        Assert.Equal(32767, destination[0]);
        Assert.Equal(-32767, destination[1]);
        Assert.Equal(0, destination[2]);
        for (var i = 0; i < source.Length; i++)
        {
            Assert.Equal((short)(Math.Clamp(source[i], -1f, 1f) * 32767), destination[i]);
        }
    }
}
