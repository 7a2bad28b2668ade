using Realtime.Engine.Responses;

namespace Realtime.Engine.Tests.Responses;

public sealed class SpeechChunkerTests
{
    [Fact]
    public void CutsAtSentenceEndsAsTokensArrive()
    {
        var chunker = new SpeechChunker();
        Assert.Empty(chunker.Push("Hello"));
        Assert.Equal(["Hello there."], chunker.Push(" there. How"));
        Assert.Equal(["How are you?"], chunker.Push(" are you? "));
        Assert.Empty(chunker.Push("Fine"));
        Assert.Equal("Fine", chunker.Flush());
        Assert.Null(chunker.Flush());
    }

    [Fact]
    public void CutsLongClausesAtCommas()
    {
        var chunker = new SpeechChunker();
        Assert.Empty(chunker.Push("Short, "));
        Assert.Equal(["Short, and this clause is long enough to be spoken on its own,"], chunker.Push("and this clause is long enough to be spoken on its own, then more"));
        Assert.Equal("then more", chunker.Flush());
    }
}
