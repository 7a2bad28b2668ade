using System.Diagnostics;
using System.Text.Json;
using Grpc.Core;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc.Protocol;
using static Realtime.Engine.Tests.Backends.BackendTestKit;

namespace Realtime.Engine.Tests.Backends;

public sealed class GrpcChatModelTests
{
    // "Fails quickly" means without waiting for the call's deadline: with the deadline this far away, a failure well
    // inside it can only come from the fast path, however slow a loaded machine makes each step.
    private static readonly TimeSpan FarDeadline = TimeSpan.FromMinutes(5);

    private static async Task<(FakeBackendHost Host, BackendRegistry Registry, IChatModel Model)> StartAsync(FakeBackendOptions? options = null, string? token = null, string model = "qwen")
    {
        var host = await FakeBackendHost.StartAsync(options);
        var registry = new BackendRegistry(FastOptions(token));
        return (host, registry, registry.GetChatModel(host.Uri, model));
    }

    [Fact]
    public async Task Streams_text_usage_and_finish_and_sends_template_mode_request_with_auth_on_every_call()
    {
        var (host, registry, model) = await StartAsync(new FakeBackendOptions { Token = "s3cret" }, token: "s3cret");
        await using var _ = host;
        using var __ = registry;

        var deltas = await CollectAsync(model, Ask("say hello please"));

        Assert.Equal(["Hello", " from", " fake."], deltas.Where(d => d.Kind == ChatDeltaKind.Text).Select(d => d.Text));
        var usage = Assert.Single(deltas, d => d.Kind == ChatDeltaKind.Usage);
        Assert.Equal((3, 3), (usage.InputTokens, usage.OutputTokens));
        Assert.Equal("stop", deltas[^1].FinishReason);

        var fake = host.Backend;
        Assert.Equal("qwen", fake.Last<ModelOptions>().Model);
        var predict = fake.Last<PredictOptions>();
        Assert.True(predict.UseTokenizerTemplate);
        Assert.Equal("", predict.Prompt);
        Assert.Equal(100, predict.Tokens);
        Assert.Equal(0.5f, predict.Temperature);
        Assert.Equal([("system", "Be brief."), ("user", "say hello please")], predict.Messages.Select(m => (m.Role, m.Content)));
        Assert.Equal("", predict.Tools);
        Assert.Equal(3, fake.AuthHeaders.Count); // Health, LoadModel, PredictStream
        Assert.All(fake.AuthHeaders, h => Assert.Equal("Bearer s3cret", h));
    }

    [Fact]
    public async Task Wrong_token_fails_with_a_clear_message()
    {
        var (host, registry, model) = await StartAsync(new FakeBackendOptions { Token = "right" }, token: "wrong");
        await using var _ = host;
        using var __ = registry;

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => CollectAsync(model, Ask("hi")));
        Assert.Contains("auth token", e.Message);
    }

    [Fact]
    public async Task Reassembles_a_rune_split_across_chunks()
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;

        var deltas = await CollectAsync(model, Ask("[utf8split]"));

        Assert.Equal("café!", TextOf(deltas));
        Assert.DoesNotContain(deltas, d => d.Kind == ChatDeltaKind.Text && d.Text!.Contains('\uFFFD'));
    }

    [Fact]
    public async Task Structured_tool_call_deltas_become_one_call_and_tools_are_sent_in_openai_format()
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;

        var deltas = await CollectAsync(model, Ask("weather? [tool:get_weather]", [Weather]));

        var call = Assert.Single(ToolCallsOf(deltas));
        Assert.Equal(("call_fake_1", "get_weather", """{"city":"Paris"}"""), call);
        Assert.Equal("", TextOf(deltas));
        Assert.Equal("tool_calls", deltas[^1].FinishReason);

        var predict = host.Backend.Last<PredictOptions>();
        using var tools = JsonDocument.Parse(predict.Tools);
        var function = tools.RootElement[0].GetProperty("function");
        Assert.Equal("function", tools.RootElement[0].GetProperty("type").GetString());
        Assert.Equal("get_weather", function.GetProperty("name").GetString());
        Assert.Equal("string", function.GetProperty("parameters").GetProperty("properties").GetProperty("city").GetProperty("type").GetString());
        Assert.Equal("\"auto\"", predict.ToolChoice);
    }

    [Theory]
    [InlineData("[texttool:get_weather]")]
    [InlineData("[jsontool:get_weather]")]
    public async Task Text_only_tool_calls_are_parsed_with_a_generated_id(string trigger)
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;

        var deltas = await CollectAsync(model, Ask("weather? " + trigger, [Weather]));

        var call = Assert.Single(ToolCallsOf(deltas));
        Assert.StartsWith("call_", call.Id);
        Assert.Equal("get_weather", call.Name);
        using var args = JsonDocument.Parse(call.Arguments);
        Assert.Equal("Paris", args.RootElement.GetProperty("city").GetString());
        Assert.Equal("", TextOf(deltas));
        Assert.Equal("tool_calls", deltas[^1].FinishReason);
    }

    [Theory]
    [InlineData("[think]", "Answer.")]
    [InlineData("[rawthink]", "Answer <b>x</b>.")]
    public async Task Reasoning_is_never_emitted_as_text(string trigger, string expected)
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;

        var deltas = await CollectAsync(model, Ask(trigger));

        Assert.Equal(expected, TextOf(deltas));
    }

    [Fact]
    public async Task Tool_result_follow_up_carries_tool_calls_json_and_tool_call_id()
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;
        var request = new ChatRequest(null, null,
        [
            new ChatMessage(ChatRole.User, "weather in Paris?"),
            new ChatMessage(ChatRole.Assistant, "") { ToolCalls = [new ChatToolCall("call_fake_1", "get_weather", """{"city":"Paris"}""")] },
            new ChatMessage(ChatRole.Tool, "sunny, 21C") { ToolCallId = "call_fake_1", Name = "get_weather" },
        ], [Weather], "auto", null, null);

        var deltas = await CollectAsync(model, request);

        Assert.Equal("Tool said: sunny, 21C", TextOf(deltas));
        var messages = host.Backend.Last<PredictOptions>().Messages;
        Assert.Equal(["user", "assistant", "tool"], messages.Select(m => m.Role));
        using var calls = JsonDocument.Parse(messages[1].ToolCalls);
        Assert.Equal("call_fake_1", calls.RootElement[0].GetProperty("id").GetString());
        Assert.Equal("""{"city":"Paris"}""", calls.RootElement[0].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("call_fake_1", messages[2].ToolCallId);
        Assert.Equal("get_weather", messages[2].Name);
    }

    [Fact]
    public async Task Cancelling_mid_stream_cancels_the_backend_call_promptly()
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var first = false;
        long cancelledAt = 0;

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var delta in model.StreamAsync(Ask("[stall]"), cts.Token))
            {
                first = true;
                cancelledAt = Stopwatch.GetTimestamp();
                await cts.CancelAsync();
            }
        });

        Assert.True(first);
        var deadline = Stopwatch.StartNew();
        while (!host.Backend.Cancelled && deadline.Elapsed < FastOptions().CallTimeout / 2)
        {
            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        Assert.True(host.Backend.Cancelled);
        // The fake saw the RST_STREAM from the cancel, not from the call's 10 s deadline (how fast is the benchmarks'
        // business: a loaded 2-core machine can delay any thread by hundreds of milliseconds).
        Assert.InRange(Stopwatch.GetElapsedTime(cancelledAt, host.Backend.CancelledAtTicks).TotalMilliseconds, 0, FastOptions().CallTimeout.TotalMilliseconds / 2);
    }

    [Fact]
    public async Task Mid_stream_and_first_chunk_errors_surface_as_exceptions()
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;

        var texts = new List<string>();
        var e = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var d in model.StreamAsync(Ask("[error-mid]"), TestContext.Current.CancellationToken))
            {
                texts.Add(d.Text!);
            }
        });
        Assert.Equal(StatusCode.Internal, e.StatusCode);
        Assert.Equal(["Hello", " from"], texts);

        // llama.cpp style: the error text arrives as a reply before INTERNAL; it must never become speech.
        var spoken = new List<Realtime.Engine.Backends.ChatDelta>();
        var first = await Assert.ThrowsAsync<RpcException>(async () =>
        {
            await foreach (var d in model.StreamAsync(Ask("[error-first]"), TestContext.Current.CancellationToken))
            {
                spoken.Add(d);
            }
        });
        Assert.Equal(StatusCode.Internal, first.StatusCode);
        Assert.Empty(spoken);
    }

    [Theory]
    [InlineData("[notokens]", "Hi there")]
    [InlineData("[notokens] [empty]", "")]
    public async Task Backends_without_token_counts_still_stream_all_text(string prompt, string expected)
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;

        var deltas = await CollectAsync(model, Ask(prompt));

        Assert.Equal(expected, TextOf(deltas));
        var usage = Assert.Single(deltas, d => d.Kind == ChatDeltaKind.Usage);
        Assert.Equal((0, 0), (usage.InputTokens, usage.OutputTokens));
        Assert.Equal("stop", deltas[^1].FinishReason);
    }

    [Fact]
    public async Task Deadline_exceeded_fails_the_call()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions() with { CallTimeout = TimeSpan.FromMilliseconds(300) });
        var model = registry.GetChatModel(host.Uri, "qwen");

        var stopwatch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<RpcException>(() => CollectAsync(model, Ask("[stall]")));

        Assert.Equal(StatusCode.DeadlineExceeded, e.StatusCode);
        // Never before the deadline; the upper end only guards against a hang.
        Assert.InRange(stopwatch.ElapsedMilliseconds, 250, 60_000);
    }

    [Fact]
    public async Task Down_backend_fails_quickly_with_the_address_in_the_message()
    {
        int port;
        await using (var gone = await FakeBackendHost.StartAsync())
        {
            port = gone.Port;
        }

        using var registry = new BackendRegistry(FastOptions() with { CallTimeout = FarDeadline });
        var model = registry.GetChatModel(BackendUri.Parse($"grpc://127.0.0.1:{port}", "Llm:Backend"), "qwen");
        var stopwatch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => CollectAsync(model, Ask("hi")));

        Assert.Contains($"127.0.0.1:{port}", e.Message);
        Assert.Contains("not available", e.Message);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, FarDeadline / 5);
    }

    [Fact]
    public async Task Something_else_at_the_address_fails_quickly()
    {
        // An HTTP/1.1-only server where a gRPC backend was expected: garbage, not a hang.
        await using var notGrpc = await FakeOpenAiServer.StartAsync();
        using var registry = new BackendRegistry(FastOptions() with { CallTimeout = FarDeadline });
        var model = registry.GetChatModel(BackendUri.Parse($"grpc://127.0.0.1:{notGrpc.Uri.Address!.Port}", "Llm:Backend"), "qwen");
        var stopwatch = Stopwatch.StartNew();

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => CollectAsync(model, Ask("hi")));

        Assert.Contains("not available", e.Message);
        Assert.InRange(stopwatch.Elapsed, TimeSpan.Zero, FarDeadline / 5);
    }

    [Fact]
    public async Task Health_is_retried_until_the_backend_is_up()
    {
        var (host, registry, model) = await StartAsync(new FakeBackendOptions { FailHealthTimes = 2 });
        await using var _ = host;
        using var __ = registry;

        Assert.Equal("Hello from fake.", TextOf(await CollectAsync(model, Ask("hi"))));
        Assert.Equal(3, host.Backend.Requests.OfType<HealthMessage>().Count());
    }

    [Theory]
    [InlineData("fail-load", "boom")]
    [InlineData("fail-load-grpc", "boom grpc")]
    public async Task Both_load_failure_styles_surface(string modelName, string message)
    {
        var (host, registry, model) = await StartAsync(model: modelName);
        await using var _ = host;
        using var __ = registry;

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => CollectAsync(model, Ask("hi")));

        Assert.Contains(modelName, e.Message);
        Assert.Contains(message, e.Message);
        Assert.Empty(host.Backend.Requests.OfType<PredictOptions>());
    }

    [Fact]
    public async Task Calls_to_one_backend_are_serialized()
    {
        var (host, registry, model) = await StartAsync();
        await using var _ = host;
        using var __ = registry;

        var all = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => CollectAsync(model, Ask("[slow:10] go"))));

        Assert.All(all, d => Assert.Equal("Hello from fake.", TextOf(d)));
        Assert.False(host.Backend.Overlapped);
        Assert.Equal(1, host.Backend.MaxConcurrent);
        Assert.Single(host.Backend.Requests.OfType<ModelOptions>());
    }
}
