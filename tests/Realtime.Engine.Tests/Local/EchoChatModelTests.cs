using System.Text.Json;
using System.Text.RegularExpressions;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Builtin;

namespace Realtime.Engine.Tests.Local;

public sealed partial class EchoChatModelTests
{
    private const string WeatherSchema =
        """{"type":"object","properties":{"location":{"type":"string","description":"City"},"unit":{"type":"string","enum":["celsius","fahrenheit"]}},"required":["location"]}""";

    private static readonly ChatTool Weather = new("get_weather", "Current weather", WeatherSchema);
    private static readonly ChatTool Stock = new("lookupStockPrice", null,
        """{"type":"object","properties":{"symbol":{"type":"string"},"days":{"type":"integer"}},"required":["symbol","days"]}""");
    private static readonly ChatTool Lights = new("set_lights", null, """{"type":"object","properties":{"on":{"type":"boolean"}}}""");

    private readonly EchoChatModel _model = new();

    [Fact]
    public async Task EchoesTheLastUserMessageWordByWord()
    {
        var deltas = await RunAsync(Request([
            new ChatMessage(ChatRole.User, "Hello there."),
            new ChatMessage(ChatRole.Assistant, "You said: Hello there."),
            new ChatMessage(ChatRole.User, "What is the weather in Paris today?"),
        ]));

        var text = deltas.Where(d => d.Kind == ChatDeltaKind.Text).Select(d => d.Text).ToList();
        Assert.Equal(["You", " said:", " What", " is", " the", " weather", " in", " Paris", " today?"], text);
        Assert.Equal(ChatDeltaKind.Usage, deltas[^2].Kind);
        Assert.Equal(9, deltas[^2].OutputTokens);
        Assert.Equal(2 + 4 + 7, deltas[^2].InputTokens);
        Assert.Equal(new ChatDelta(ChatDeltaKind.Finish, FinishReason: "stop"), deltas[^1]);
    }

    [Fact]
    public async Task WithoutUserTextSaysSo()
    {
        var deltas = await RunAsync(Request([new ChatMessage(ChatRole.System, "Be brief.")]));
        Assert.Equal("You said nothing.", string.Concat(deltas.Where(d => d.Kind == ChatDeltaKind.Text).Select(d => d.Text)));
    }

    [Fact]
    public async Task MaxOutputTokensStopsEarlyWithLength()
    {
        var deltas = await RunAsync(Request([new ChatMessage(ChatRole.User, "one two three four five")]) with { MaxOutputTokens = 3 });

        Assert.Equal(["You", " said:", " one"], deltas.Where(d => d.Kind == ChatDeltaKind.Text).Select(d => d.Text));
        Assert.Equal(3, deltas[^2].OutputTokens);
        Assert.Equal("length", deltas[^1].FinishReason);
    }

    [Fact]
    public async Task NamedToolIsCalledWithArgumentsFromTheQuestion()
    {
        var deltas = await RunAsync(Request([new ChatMessage(ChatRole.User, "What's the weather in Paris today?")], Weather, Stock));

        var calls = deltas.Where(d => d.Kind == ChatDeltaKind.ToolCall).ToList();
        Assert.InRange(calls.Count, 2, 3);
        Assert.Matches(CallId(), calls[0].ToolCallId!);
        Assert.Equal("get_weather", calls[0].ToolName);
        Assert.All(calls.Skip(1), c => Assert.Null(c.ToolCallId));
        Assert.All(calls, c => Assert.Equal(0, c.ToolIndex));
        var arguments = string.Concat(calls.Select(c => c.ArgumentsDelta));
        Assert.Equal("""{"location":"Paris"}""", arguments);
        Assert.DoesNotContain(deltas, d => d.Kind == ChatDeltaKind.Text);
        Assert.Equal(ChatDeltaKind.Usage, deltas[^2].Kind);
        Assert.Equal("tool_calls", deltas[^1].FinishReason);
    }

    [Fact]
    public async Task CamelCaseToolWordsMatchAndTypedArgumentsAreValidJson()
    {
        var deltas = await RunAsync(Request([new ChatMessage(ChatRole.User, "show me the stock price for Contoso over 5 days")], Weather, Stock));

        var calls = deltas.Where(d => d.Kind == ChatDeltaKind.ToolCall).ToList();
        Assert.Equal("lookupStockPrice", calls[0].ToolName);
        using var arguments = JsonDocument.Parse(string.Concat(calls.Select(c => c.ArgumentsDelta)));
        Assert.Equal("Contoso", arguments.RootElement.GetProperty("symbol").GetString());
        Assert.Equal(5, arguments.RootElement.GetProperty("days").GetInt32());
    }

    [Fact]
    public async Task WithoutRequiredTheFirstPropertyIsFilled()
    {
        var deltas = await RunAsync(Request([new ChatMessage(ChatRole.User, "turn the LIGHTS on")], Weather, Lights));

        var calls = deltas.Where(d => d.Kind == ChatDeltaKind.ToolCall).ToList();
        Assert.Equal("set_lights", calls[0].ToolName);
        Assert.Equal("""{"on":true}""", string.Concat(calls.Select(c => c.ArgumentsDelta)));
    }

    [Fact]
    public async Task GenericWordsAloneDoNotCallATool()
    {
        var deltas = await RunAsync(Request([new ChatMessage(ChatRole.User, "Can you get me a coffee?")], Weather, Stock));
        Assert.DoesNotContain(deltas, d => d.Kind == ChatDeltaKind.ToolCall);
        Assert.Equal("stop", deltas[^1].FinishReason);
    }

    [Fact]
    public async Task ToolChoiceNoneAnswersAndForcedChoiceCalls()
    {
        var messages = new[] { new ChatMessage(ChatRole.User, "What's the weather in Paris?") };
        var none = await RunAsync(Request(messages, Weather) with { ToolChoice = "none" });
        Assert.DoesNotContain(none, d => d.Kind == ChatDeltaKind.ToolCall);

        var forced = await RunAsync(Request([new ChatMessage(ChatRole.User, "Hello")], Weather, Stock) with { ToolChoice = "lookupStockPrice" });
        Assert.Equal("lookupStockPrice", forced.First(d => d.Kind == ChatDeltaKind.ToolCall).ToolName);
    }

    [Fact]
    public async Task AfterAToolMessageReportsItsOutput()
    {
        var deltas = await RunAsync(Request([
            new ChatMessage(ChatRole.User, "What's the weather in Paris?"),
            new ChatMessage(ChatRole.Assistant, "") { ToolCalls = [new ChatToolCall("call_1", "get_weather", """{"location":"Paris"}""")] },
            new ChatMessage(ChatRole.Tool, """{"temperature":21}""") { ToolCallId = "call_1" },
        ], Weather));

        Assert.DoesNotContain(deltas, d => d.Kind == ChatDeltaKind.ToolCall);
        Assert.Equal("""The tool returned: {"temperature":21}""", string.Concat(deltas.Where(d => d.Kind == ChatDeltaKind.Text).Select(d => d.Text)));
        Assert.Equal("stop", deltas[^1].FinishReason);
    }

    [Fact]
    public async Task CancellationStopsTheStream()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var received = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var delta in _model.StreamAsync(Request([new ChatMessage(ChatRole.User, "a b c d e f g")]), cancellation.Token))
            {
                if (++received == 2)
                {
                    await cancellation.CancelAsync();
                }
            }
        });
        Assert.Equal(2, received);
    }

    [Fact]
    public void SubjectTakesTheNamedPlace()
    {
        Assert.Equal("Paris", EchoArguments.Subject("what's the weather in Paris today?"));
        Assert.Equal("New York", EchoArguments.Subject("Weather for New York please"));
        Assert.Equal("Lyon", EchoArguments.Subject("tell me the forecast Lyon"));
        Assert.Equal("something", EchoArguments.Subject(" something "));
    }

    private static ChatRequest Request(IReadOnlyList<ChatMessage> messages, params ChatTool[] tools) =>
        new(null, null, messages, tools, "auto", null, null);

    private async Task<List<ChatDelta>> RunAsync(ChatRequest request)
    {
        var deltas = new List<ChatDelta>();
        await foreach (var delta in _model.StreamAsync(request, TestContext.Current.CancellationToken))
        {
            deltas.Add(delta);
        }

        return deltas;
    }

    [GeneratedRegex("^call_[A-Za-z0-9]{16}$")]
    private static partial Regex CallId();
}
