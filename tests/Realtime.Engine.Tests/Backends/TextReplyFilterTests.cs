using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc;

namespace Realtime.Engine.Tests.Backends;

public sealed class TextReplyFilterTests
{
    private static (string Text, List<ChatDelta> Calls) Run(string raw, int cut1, int cut2)
    {
        var filter = new TextReplyFilter();
        var output = new List<ChatDelta>();
        filter.Append(raw[..cut1], output);
        filter.Append(raw[cut1..cut2], output);
        filter.Append(raw[cut2..], output);
        filter.Complete(output);
        return (BackendTestKit.TextOf(output), output.Where(d => d.Kind == ChatDeltaKind.ToolCall).ToList());
    }

    [Theory]
    [InlineData("<think>hmm <b> no</think>\nIt is 3 < 4 and <i>fine</i>.", "It is 3 < 4 and <i>fine</i>.", 0)]
    [InlineData("Sure.<tool_call>{\"name\":\"f\",\"arguments\":{\"a\":1}}</tool_call>", "Sure.", 1)]
    [InlineData("  {\"name\":\"f\",\"arguments\":\"{\\\"a\\\":1}\"}", "", 1)]
    [InlineData("{not a call} at all", "{not a call} at all", 0)]
    [InlineData("<thinking aloud>", "<thinking aloud>", 0)]
    public void Every_split_gives_the_same_text_and_calls(string raw, string text, int calls)
    {
        for (var cut1 = 0; cut1 <= raw.Length; cut1++)
        {
            for (var cut2 = cut1; cut2 <= raw.Length; cut2++)
            {
                var (actualText, actualCalls) = Run(raw, cut1, cut2);
                Assert.Equal(text, actualText);
                Assert.Equal(calls, actualCalls.Count);
                if (calls == 1)
                {
                    Assert.Equal(("f", """{"a":1}"""), (actualCalls[0].ToolName, actualCalls[0].ArgumentsDelta));
                }
            }
        }
    }
}
