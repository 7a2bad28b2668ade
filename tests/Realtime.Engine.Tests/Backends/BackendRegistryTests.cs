using Realtime.Engine.Backends;
using HealthMessage = Realtime.Engine.Backends.Grpc.Protocol.HealthMessage;
using ModelOptions = Realtime.Engine.Backends.Grpc.Protocol.ModelOptions;
using static Realtime.Engine.Tests.Backends.BackendTestKit;

namespace Realtime.Engine.Tests.Backends;

public sealed class BackendRegistryTests
{
    private sealed class EchoModel(string name) : IChatModel
    {
        public string Name => name;

        public async IAsyncEnumerable<ChatDelta> StreamAsync(ChatRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            await Task.Yield();
            yield return new ChatDelta(ChatDeltaKind.Text, Text: request.Messages[^1].Content);
        }
    }

    [Fact]
    public void Builtin_uris_go_to_the_callers_factory_once_per_name_and_model()
    {
        var calls = new List<(string, string?)>();
        using var registry = new BackendRegistry(builtins: new BackendRegistryBuiltins
        {
            ChatModel = (name, model) =>
            {
                calls.Add((name, model));
                return new EchoModel(name);
            },
        });
        var uri = BackendUri.Parse("builtin:echo", "Llm:Backend");

        var a = registry.GetChatModel(uri, "m");
        var b = registry.GetChatModel(uri, "m");

        Assert.Same(a, b);
        Assert.Equal("echo", a.Name);
        Assert.Equal([("echo", "m")], calls);
        Assert.Throws<InvalidOperationException>(() => registry.GetSpeechSynthesizer(BackendUri.Parse("builtin:espeak-ng", "Tts:Backend")));
    }

    [Fact]
    public async Task One_connection_per_address_is_shared_by_every_stage_and_profile()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        var uri = host.Uri;
        var sameUri = BackendUri.Parse($"grpc://127.0.0.1:{host.Port}/", "other profile");

        Assert.Same(registry.GetChatModel(uri, "qwen"), registry.GetChatModel(sameUri, "qwen"));
        var chat = registry.GetChatModel(uri, "qwen");
        var tts = registry.GetSpeechSynthesizer(sameUri, "qwen");

        await CollectAsync(chat, Ask("hi"));
        await SynthesizeAsync(tts, "hi there", "json-rate");

        // Health and LoadModel ran once for the shared backend, not once per stage.
        Assert.Single(host.Backend.Requests.OfType<HealthMessage>());
        Assert.Single(host.Backend.Requests.OfType<ModelOptions>());
    }

    [Fact]
    public async Task Dns_targets_round_robin_across_resolved_addresses()
    {
        await using var host = await FakeBackendHost.StartAsync();
        using var registry = new BackendRegistry(FastOptions());
        // localhost resolves to 127.0.0.1 (and maybe ::1, where nothing listens): the balancer uses the ready one.
        var chat = registry.GetChatModel(BackendUri.Parse($"grpc://dns:///localhost:{host.Port}", "Llm:Backend"), "qwen");

        Assert.Equal("Hello", (await CollectAsync(chat, Ask("hi")))[0].Text);
        Assert.Equal("Hello", (await CollectAsync(chat, Ask("again")))[0].Text);
    }

    [Fact]
    public void Http_backends_have_no_vad()
    {
        using var registry = new BackendRegistry();
        Assert.Throws<NotSupportedException>(() => registry.GetSpeechDetector(BackendUri.Parse("http://localhost:8080/v1", "Vad:Backend")));
    }
}
