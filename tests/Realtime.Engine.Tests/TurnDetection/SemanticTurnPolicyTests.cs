using Realtime.Engine.TurnDetection;

namespace Realtime.Engine.Tests.TurnDetection;

public sealed class SemanticTurnPolicyTests
{
    [Theory]
    [InlineData("", TurnEagerness.Medium, 600)]
    [InlineData("What is the weather in Paris today", TurnEagerness.Medium, 600)]
    [InlineData("What is the weather in Paris today?", TurnEagerness.Medium, 500)]
    [InlineData("What is the weather in Paris today?  ", TurnEagerness.High, 250)]
    [InlineData("Thanks.", TurnEagerness.Low, 1000)]
    [InlineData("I would like", TurnEagerness.Medium, 4000)]
    [InlineData("i would LIKE ", TurnEagerness.Low, 8000)]
    [InlineData("bread and", TurnEagerness.High, 2000)]
    [InlineData("I went to the", TurnEagerness.Medium, 4000)]
    [InlineData("so, um", TurnEagerness.Medium, 4000)]
    [InlineData("first,", TurnEagerness.Medium, 4000)]
    [InlineData("well...", TurnEagerness.Medium, 4000)]
    [InlineData("Thank you", TurnEagerness.High, 400)]
    [InlineData("it's hand", TurnEagerness.Low, 1500)] // "and" only as a whole word
    public void Hold_off_follows_how_the_partial_transcript_ends(string partial, TurnEagerness eagerness, int expectedMs) =>
        Assert.Equal(expectedMs, SemanticTurnPolicy.HoldOffMs(partial, eagerness));

    [Theory]
    [InlineData("low", TurnEagerness.Low)]
    [InlineData("medium", TurnEagerness.Medium)]
    [InlineData("high", TurnEagerness.High)]
    [InlineData("auto", TurnEagerness.Medium)]
    [InlineData(null, TurnEagerness.Medium)]
    public void Eagerness_auto_is_medium(string? value, TurnEagerness expected) =>
        Assert.Equal(expected, SemanticTurnPolicy.ParseEagerness(value));

    [Fact]
    public void Max_timeouts_are_the_specs_8_4_2_seconds()
    {
        Assert.Equal(8000, SemanticTurnPolicy.MaxTimeoutMs(TurnEagerness.Low));
        Assert.Equal(4000, SemanticTurnPolicy.MaxTimeoutMs(TurnEagerness.Medium));
        Assert.Equal(2000, SemanticTurnPolicy.MaxTimeoutMs(TurnEagerness.High));
    }
}
