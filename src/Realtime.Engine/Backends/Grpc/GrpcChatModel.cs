using System.Runtime.CompilerServices;
using System.Text;
using Google.Protobuf;
using Realtime.Engine.Backends.Grpc.Protocol;
using Realtime.Engine.Backends.OpenAiHttp;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// LLM over LocalAI's PredictStream in tokenizer-template mode (the backend renders the model's own chat
/// template, tools included). Structured <c>chat_deltas</c> win when the backend sends them; otherwise
/// tool calls and reasoning are recovered from the raw text.
/// </summary>
internal sealed class GrpcChatModel : IChatModel
{
    private const float DefaultTemperature = 0.8f;

    private readonly GrpcBackendClient _client;
    private readonly string? _model;

    public GrpcChatModel(GrpcBackendClient client, string? model)
    {
        _client = client;
        _model = model;
        Name = client.Uri.Canonical;
    }

    public string Name { get; }

    public async IAsyncEnumerable<ChatDelta> StreamAsync(ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _client.EnsureReadyAsync(_model, cancellationToken).ConfigureAwait(false);
        var options = BuildPredictOptions(request);
        using var lease = await _client.EnterAsync(cancellationToken).ConfigureAwait(false);
        using var call = _client.Api.PredictStream(options, _client.CallOptions(cancellationToken));

        var decoder = Encoding.UTF8.GetDecoder();
        var chars = new char[256];
        var filter = new TextReplyFilter();
        var output = new List<ChatDelta>(8);
        var structured = false;
        var seenCalls = new List<int>();
        var structuredCalls = 0;
        var outputTokens = 0;
        var inputTokens = 0;
        var stream = call.ResponseStream;

        while (await stream.NextAsync(cancellationToken).ConfigureAwait(false))
        {
            var reply = stream.Current;
            if (reply.Tokens != 0)
            {
                outputTokens = reply.Tokens;
            }

            if (reply.PromptTokens != 0)
            {
                inputTokens = reply.PromptTokens;
            }

            if (reply.ChatDeltas.Count > 0)
            {
                // Once structured deltas appear, Reply.message holds raw markup; only the deltas count.
                structured = true;
                foreach (var delta in reply.ChatDeltas)
                {
                    if (delta.Content.Length > 0)
                    {
                        output.Add(new ChatDelta(ChatDeltaKind.Text, Text: delta.Content));
                    }

                    foreach (var tool in delta.ToolCalls)
                    {
                        if (!seenCalls.Contains(tool.Index))
                        {
                            seenCalls.Add(tool.Index);
                            structuredCalls++;
                            output.Add(new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: tool.Index,
                                ToolCallId: tool.Id.Length > 0 ? tool.Id : OpenAiChatJson.NewCallId(),
                                ToolName: tool.Name, ArgumentsDelta: tool.Arguments));
                        }
                        else if (tool.Arguments.Length > 0)
                        {
                            output.Add(new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: tool.Index, ArgumentsDelta: tool.Arguments));
                        }
                    }
                }
            }
            else if (!structured && reply.Message.Length > 0)
            {
                filter.Append(Decode(decoder, reply.Message, ref chars, flush: false), output);
            }

            for (var i = 0; i < output.Count; i++)
            {
                yield return output[i];
            }

            output.Clear();
        }

        if (!structured)
        {
            var tail = Decode(decoder, ByteString.Empty, ref chars, flush: true);
            if (tail.Length > 0)
            {
                filter.Append(tail, output);
            }

            filter.Complete(output);
            for (var i = 0; i < output.Count; i++)
            {
                yield return output[i];
            }
        }

        yield return new ChatDelta(ChatDeltaKind.Usage, InputTokens: inputTokens, OutputTokens: outputTokens);
        var calls = structured ? structuredCalls : filter.ToolCallCount;
        var reason = calls > 0 ? "tool_calls"
            : request.MaxOutputTokens is { } max && max > 0 && outputTokens >= max ? "length"
            : "stop";
        yield return new ChatDelta(ChatDeltaKind.Finish, FinishReason: reason);
    }

    /// <summary>Decodes UTF-8 that may end mid-rune; the decoder keeps the partial sequence for the next chunk.</summary>
    private static string Decode(Decoder decoder, ByteString bytes, ref char[] chars, bool flush)
    {
        var span = bytes.Span;
        var needed = decoder.GetCharCount(span, flush);
        if (needed > chars.Length)
        {
            chars = new char[Math.Max(needed, chars.Length * 2)];
        }

        var count = decoder.GetChars(span, chars, flush);
        return new string(chars, 0, count);
    }

    internal static PredictOptions BuildPredictOptions(ChatRequest request)
    {
        var options = new PredictOptions
        {
            UseTokenizerTemplate = true,
            Temperature = request.Temperature ?? DefaultTemperature,
            Tokens = request.MaxOutputTokens ?? 0,
        };

        if (!string.IsNullOrEmpty(request.Instructions))
        {
            options.Messages.Add(new Message { Role = "system", Content = request.Instructions });
        }

        foreach (var message in request.Messages)
        {
            var wire = new Message { Role = OpenAiChatJson.RoleName(message.Role), Content = message.Content };
            if (message.ToolCalls is { Count: > 0 } calls)
            {
                wire.ToolCalls = OpenAiChatJson.ToJsonString(calls, OpenAiChatJson.WriteToolCalls);
            }

            if (message.ToolCallId is not null)
            {
                wire.ToolCallId = message.ToolCallId;
            }

            if (message.Name is not null)
            {
                wire.Name = message.Name;
            }

            options.Messages.Add(wire);
        }

        if (request.Tools.Count > 0 && request.ToolChoice != "none")
        {
            options.Tools = OpenAiChatJson.ToJsonString(request.Tools, OpenAiChatJson.WriteTools);
            options.ToolChoice = OpenAiChatJson.ToJsonString(request.ToolChoice, OpenAiChatJson.WriteToolChoice);
        }

        return options;
    }
}
