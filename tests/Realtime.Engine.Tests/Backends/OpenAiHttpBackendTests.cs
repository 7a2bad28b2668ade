using System.Net;
using System.Text.Json;
using Realtime.Engine.Backends;
using static Realtime.Engine.Tests.Backends.BackendTestKit;

namespace Realtime.Engine.Tests.Backends;

public sealed class OpenAiHttpBackendTests
{
    private static BackendRegistry Registry(Func<BackendRegistryOptions, BackendRegistryOptions>? tweak = null)
    {
        var options = FastOptions() with { ApiKey = "sk-test" };
        return new BackendRegistry(tweak is null ? options : tweak(options));
    }

    [Fact]
    public async Task Chat_streams_text_and_usage_and_sends_a_streaming_request_with_the_api_key()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry();
        var chat = registry.GetChatModel(server.Uri, "llama");

        var deltas = await CollectAsync(chat, Ask("hi", [Weather]));

        Assert.Equal(["Hello", " from http."], deltas.Where(d => d.Kind == ChatDeltaKind.Text).Select(d => d.Text));
        var usage = Assert.Single(deltas, d => d.Kind == ChatDeltaKind.Usage);
        Assert.Equal((7, 4), (usage.InputTokens, usage.OutputTokens));
        Assert.Equal("stop", deltas[^1].FinishReason);
        Assert.Equal("Bearer sk-test", Assert.Single(server.AuthHeaders));

        using var body = JsonDocument.Parse(Assert.Single(server.ChatBodies));
        var root = body.RootElement;
        Assert.Equal("llama", root.GetProperty("model").GetString());
        Assert.True(root.GetProperty("stream").GetBoolean());
        Assert.True(root.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        Assert.Equal(100, root.GetProperty("max_tokens").GetInt32());
        Assert.Equal(0.5, root.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal("system", root.GetProperty("messages")[0].GetProperty("role").GetString());
        Assert.Equal("get_weather", root.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        Assert.Equal("auto", root.GetProperty("tool_choice").GetString());
    }

    [Fact]
    public async Task Chat_tool_call_deltas_are_accumulated_by_index_with_generated_ids_when_missing()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry();
        var chat = registry.GetChatModel(server.Uri, "llama");

        var deltas = await CollectAsync(chat, Ask("[tool]", [Weather]));

        var calls = ToolCallsOf(deltas);
        Assert.Equal(2, calls.Count);
        Assert.Equal(("call_http_1", "get_weather", """{"city":"Paris"}"""), calls[0]);
        Assert.StartsWith("call_", calls[1].Id);
        Assert.Equal(("get_time", "{}"), (calls[1].Name, calls[1].Arguments));
        // The server said "stop"; the collected calls decide.
        Assert.Equal("tool_calls", deltas[^1].FinishReason);
    }

    [Fact]
    public async Task Chat_follow_up_sends_assistant_tool_calls_and_tool_call_id()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry();
        var chat = registry.GetChatModel(server.Uri, "llama");
        var request = new ChatRequest(null, null,
        [
            new ChatMessage(ChatRole.User, "weather?"),
            new ChatMessage(ChatRole.Assistant, "") { ToolCalls = [new ChatToolCall("call_http_1", "get_weather", """{"city":"Paris"}""")] },
            new ChatMessage(ChatRole.Tool, "sunny") { ToolCallId = "call_http_1", Name = "get_weather" },
        ], [Weather], "get_weather", null, null);

        Assert.Equal("Tool said: sunny", TextOf(await CollectAsync(chat, request)));

        using var body = JsonDocument.Parse(Assert.Single(server.ChatBodies));
        var messages = body.RootElement.GetProperty("messages");
        Assert.Equal(JsonValueKind.Null, messages[1].GetProperty("content").ValueKind);
        var call = messages[1].GetProperty("tool_calls")[0];
        Assert.Equal(("call_http_1", "function", """{"city":"Paris"}"""), (call.GetProperty("id").GetString(), call.GetProperty("type").GetString(), call.GetProperty("function").GetProperty("arguments").GetString()));
        Assert.Equal("call_http_1", messages[2].GetProperty("tool_call_id").GetString());
        Assert.Equal("get_weather", body.RootElement.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Chat_inline_reasoning_is_not_spoken()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry();
        var chat = registry.GetChatModel(server.Uri, "llama");

        Assert.Equal("Answer.", TextOf(await CollectAsync(chat, Ask("[think-inline]"))));
    }

    [Fact]
    public async Task Chat_faults_become_exceptions()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry();
        var chat = registry.GetChatModel(server.Uri, "llama");

        var mid = await Assert.ThrowsAsync<InvalidOperationException>(() => CollectAsync(chat, Ask("[error-mid]")));
        Assert.Contains("out of memory", mid.Message);
        var truncated = await Assert.ThrowsAsync<IOException>(() => CollectAsync(chat, Ask("[truncated]")));
        Assert.Contains("[DONE]", truncated.Message);
        await Assert.ThrowsAsync<InvalidDataException>(() => CollectAsync(chat, Ask("[garbage]")));
        var http = await Assert.ThrowsAsync<HttpRequestException>(() => CollectAsync(chat, Ask("[http-error]")));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, http.StatusCode);
        Assert.Contains("model is loading", http.Message);
    }

    [Fact]
    public async Task Chat_cancellation_aborts_the_request()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry();
        var chat = registry.GetChatModel(server.Uri, "llama");
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var delta in chat.StreamAsync(Ask("[stall]"), cts.Token))
            {
                await cts.CancelAsync();
            }
        });

        // Before the 2 s HttpClient would spend draining the body by default (the client turns draining off), with
        // the rest of that as slack for a loaded machine.
        await server.Aborted.Task.WaitAsync(TimeSpan.FromSeconds(1.9), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Chat_deadline_and_down_server_fail_quickly()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry(o => o with { CallTimeout = TimeSpan.FromMilliseconds(300) });
        var chat = registry.GetChatModel(server.Uri, "llama");
        await Assert.ThrowsAsync<TimeoutException>(() => CollectAsync(chat, Ask("[stall]")));

        var port = server.Uri.Address!.Port;
        await server.DisposeAsync();
        var down = registry.GetChatModel(BackendUri.Parse($"http://127.0.0.1:{port}/v1", "Llm:Backend"), "other");
        await Assert.ThrowsAsync<HttpRequestException>(() => CollectAsync(down, Ask("hi")));
    }

    [Theory]
    [InlineData(false, "", new[] { "hello world|True" })]
    [InlineData(true, "", new[] { "hello|False", " world|False", "hello world|True" })]
    [InlineData(true, "cumulative", new[] { "hello|False", " world|False", "hello world|True" })]
    [InlineData(true, "vllm", new[] { "hello|False", " world|False", "hello world|True" })]
    public async Task Transcription_sends_a_wav_form_and_reads_json_or_sse(bool stream, string prompt, string[] expected)
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry(o => o with { StreamTranscription = stream });
        var stt = registry.GetSpeechRecognizer(server.Uri, "whisper-large");

        var updates = await TranscribeAsync(stt, Sine(8_000), new RecognitionOptions("gpt-4o-transcribe", "de", prompt));

        Assert.Equal(expected, updates.Select(u => $"{u.Text}|{u.IsFinal}"));
        var form = Assert.Single(server.TranscriptionForms);
        Assert.Equal(("audio.wav", "audio/wav", "whisper-large", "de"), (form["file.name"], form["file.type"], form["model"], form["language"]));
        var wav = Assert.Single(server.TranscriptionFiles);
        Assert.Equal(44 + 16_000, wav.Length);
        Assert.Equal(16_000, BitConverter.ToInt32(wav, 24));
    }

    [Fact]
    public async Task Transcription_stream_error_event_becomes_an_exception()
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry(o => o with { StreamTranscription = true });
        var stt = registry.GetSpeechRecognizer(server.Uri, "whisper");

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => TranscribeAsync(stt, Sine(1_600), new RecognitionOptions(null, null, "error")));
        Assert.Contains("decoder crashed", e.Message);
    }

    [Theory]
    [InlineData("pcm", "alloy", 24_000)]
    [InlineData("wav", "alloy", 24_000)]
    [InlineData("pcm", "localai", 16_000)]
    public async Task Speech_streams_pcm_or_parses_wav_including_localai_wav_for_pcm(string format, string voice, int rate)
    {
        await using var server = await FakeOpenAiServer.StartAsync();
        using var registry = Registry(o => o with { SpeechResponseFormat = format });
        var tts = registry.GetSpeechSynthesizer(server.Uri, "tts-1");

        var (samples, actualRate, chunks) = await SynthesizeAsync(tts, "one two three", voice);

        Assert.Equal(rate, actualRate);
        Assert.Equal(FakeBackend.Speech("one two three", rate), samples);
        Assert.True(chunks > 1, "audio must stream chunk by chunk");
        using var body = JsonDocument.Parse(Assert.Single(server.SpeechBodies));
        Assert.Equal(("tts-1", "one two three", voice, format), (body.RootElement.GetProperty("model").GetString(), body.RootElement.GetProperty("input").GetString(), body.RootElement.GetProperty("voice").GetString(), body.RootElement.GetProperty("response_format").GetString()));
    }
}
