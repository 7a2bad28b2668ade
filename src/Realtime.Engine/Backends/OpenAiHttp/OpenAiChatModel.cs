using System.Buffers;
using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Realtime.Engine.Backends.Grpc;

namespace Realtime.Engine.Backends.OpenAiHttp;

/// <summary>LLM over <c>POST /chat/completions</c> with SSE streaming (LocalAI, vLLM, llama-server, Ollama, OpenAI).</summary>
internal sealed class OpenAiChatModel : IChatModel
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly OpenAiHttpClient _client;
    private readonly string? _model;

    public OpenAiChatModel(OpenAiHttpClient client, string? model)
    {
        _client = client;
        _model = model;
        Name = client.Uri.Canonical;
    }

    public string Name { get; }

    public async IAsyncEnumerable<ChatDelta> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var deadline = _client.StartDeadline(cancellationToken);
        var token = deadline.Token;
        using var message = new HttpRequestMessage(HttpMethod.Post, "chat/completions")
        {
            Content = new ByteArrayContent(BuildBody(request, _model)) { Headers = { ContentType = Json } },
        };
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        using var response = await _client.StepAsync(new ValueTask<HttpResponseMessage>(_client.SendAsync(message, token)), deadline, cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentType?.MediaType is { } type && !type.Equals("text/event-stream", StringComparison.OrdinalIgnoreCase))
        {
            // A proxy's page, or a server that ignored stream=true: say what came instead of "truncated".
            var text = await _client.StepAsync(new ValueTask<string>(response.Content.ReadAsStringAsync(token)), deadline, cancellationToken).ConfigureAwait(false);
            throw new InvalidDataException($"Backend {Name} answered {type} instead of an event stream: {OpenAiHttpClient.ErrorMessage(text)}");
        }

        var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        await using var _ = body.ConfigureAwait(false);

        var parser = SseParser.Create(body, static (_, data) => data.ToArray());
        var seenCalls = new List<int>();
        var done = false;
        var inputTokens = 0;
        var outputTokens = 0;
        string? finishReason = null;
        var output = new List<ChatDelta>(4);
        // Servers without a reasoning parser put <think> (and sometimes <tool_call>) markup in content.
        var filter = new TextReplyFilter();

        var items = parser.EnumerateAsync(token).GetAsyncEnumerator(token);
        await using var ___ = items.ConfigureAwait(false);
        while (await _client.StepAsync(items.MoveNextAsync(), deadline, cancellationToken).ConfigureAwait(false))
        {
            var data = items.Current.Data;
            if (data.AsSpan().Trim((byte)' ').SequenceEqual("[DONE]"u8))
            {
                done = true;
                break;
            }

            ParseChunk(data, output, filter, seenCalls, ref inputTokens, ref outputTokens, ref finishReason);
            foreach (var delta in output)
            {
                yield return delta;
            }

            output.Clear();
        }

        if (!done)
        {
            throw new IOException($"Backend {Name} ended the chat stream without [DONE] (truncated response).");
        }

        filter.Complete(output);
        foreach (var delta in output)
        {
            yield return delta;
        }

        if (inputTokens > 0 || outputTokens > 0)
        {
            yield return new ChatDelta(ChatDeltaKind.Usage, InputTokens: inputTokens, OutputTokens: outputTokens);
        }

        // Some servers say "stop" after tool calls: the collected calls decide.
        yield return new ChatDelta(ChatDeltaKind.Finish, FinishReason: seenCalls.Count + filter.ToolCallCount > 0 ? "tool_calls" : finishReason ?? "stop");
    }

    private void ParseChunk(byte[] data, List<ChatDelta> output, TextReplyFilter filter, List<int> seenCalls, ref int inputTokens, ref int outputTokens, ref string? finishReason)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Backend {Name} sent a chat chunk that is not JSON.", e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"Backend {Name} sent a chat chunk that is not a JSON object.");
            }

            if (root.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"Backend {Name} failed mid-stream: {OpenAiHttpClient.ErrorMessage(error)}");
            }

            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                if (usage.TryGetProperty("prompt_tokens", out var prompt) && prompt.TryGetInt32(out var p))
                {
                    inputTokens = p;
                }

                if (usage.TryGetProperty("completion_tokens", out var completion) && completion.TryGetInt32(out var c))
                {
                    outputTokens = c;
                }
            }

            if (!root.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array)
            {
                return;
            }

            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                {
                    finishReason = finish.GetString();
                }

                if (!choice.TryGetProperty("delta", out var delta) || delta.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }

                if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    var text = content.GetString();
                    if (!string.IsNullOrEmpty(text))
                    {
                        filter.Append(text, output);
                    }
                }

                if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        ParseToolCall(call, output, seenCalls);
                    }
                }
            }
        }
    }

    private static void ParseToolCall(JsonElement call, List<ChatDelta> output, List<int> seenCalls)
    {
        var index = call.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : seenCalls.Count;
        string? name = null;
        string? arguments = null;
        if (call.TryGetProperty("function", out var function) && function.ValueKind == JsonValueKind.Object)
        {
            name = function.TryGetProperty("name", out var nm) && nm.ValueKind == JsonValueKind.String ? nm.GetString() : null;
            if (function.TryGetProperty("arguments", out var args))
            {
                arguments = args.ValueKind == JsonValueKind.String ? args.GetString() : args.ValueKind == JsonValueKind.Object ? args.GetRawText() : null;
            }
        }

        if (!seenCalls.Contains(index))
        {
            seenCalls.Add(index);
            var id = call.TryGetProperty("id", out var idElement) && idElement.ValueKind == JsonValueKind.String && idElement.GetString() is { Length: > 0 } given
                ? given
                : OpenAiChatJson.NewCallId();
            output.Add(new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: index, ToolCallId: id, ToolName: name ?? string.Empty, ArgumentsDelta: arguments ?? string.Empty));
        }
        else if (!string.IsNullOrEmpty(arguments))
        {
            output.Add(new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: index, ArgumentsDelta: arguments));
        }
    }

    internal static byte[] BuildBody(ChatRequest request, string? configuredModel)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            var model = configuredModel ?? request.Model;
            if (!string.IsNullOrEmpty(model))
            {
                writer.WriteString("model", model);
            }

            writer.WriteBoolean("stream", true);
            writer.WriteStartObject("stream_options");
            writer.WriteBoolean("include_usage", true);
            writer.WriteEndObject();
            writer.WriteStartArray("messages");
            if (!string.IsNullOrEmpty(request.Instructions))
            {
                writer.WriteStartObject();
                writer.WriteString("role", "system");
                writer.WriteString("content", request.Instructions);
                writer.WriteEndObject();
            }

            foreach (var message in request.Messages)
            {
                writer.WriteStartObject();
                writer.WriteString("role", OpenAiChatJson.RoleName(message.Role));
                if (message.ToolCalls is { Count: > 0 } calls)
                {
                    if (message.Content.Length > 0)
                    {
                        writer.WriteString("content", message.Content);
                    }
                    else
                    {
                        writer.WriteNull("content");
                    }

                    writer.WritePropertyName("tool_calls");
                    OpenAiChatJson.WriteToolCalls(writer, calls);
                }
                else
                {
                    writer.WriteString("content", message.Content);
                }

                if (message.ToolCallId is not null)
                {
                    writer.WriteString("tool_call_id", message.ToolCallId);
                }

                if (message.Name is not null && message.Role == ChatRole.Tool)
                {
                    writer.WriteString("name", message.Name);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            if (request.Tools.Count > 0)
            {
                writer.WritePropertyName("tools");
                OpenAiChatJson.WriteTools(writer, request.Tools);
                writer.WritePropertyName("tool_choice");
                OpenAiChatJson.WriteToolChoice(writer, request.ToolChoice);
            }

            if (request.Temperature is { } temperature)
            {
                writer.WriteNumber("temperature", temperature);
            }

            if (request.MaxOutputTokens is { } max)
            {
                writer.WriteNumber("max_tokens", max);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
