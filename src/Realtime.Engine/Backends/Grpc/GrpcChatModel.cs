using System.Runtime.CompilerServices;
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
        using var lease = await _client.EnterAsync("llm", cancellationToken).ConfigureAwait(false);
        using var call = _client.Api.PredictStream(options, _client.CallOptions(cancellationToken));

        var reader = new PredictReplyReader();
        var output = new List<ChatDelta>(8);
        var stream = call.ResponseStream;
        Reply? held = null;
        var first = true;

        while (await stream.NextAsync(cancellationToken).ConfigureAwait(false))
        {
            var reply = stream.Current;
            if (first && PredictReplyReader.MightBeErrorText(reply))
            {
                first = false;
                held = reply;
                continue;
            }

            first = false;
            if (held is not null)
            {
                reader.Read(held, output);
                held = null;
            }

            reader.Read(reply, output);
            for (var i = 0; i < output.Count; i++)
            {
                yield return output[i];
            }

            output.Clear();
        }

        if (held is not null)
        {
            reader.Read(held, output);
        }

        reader.Complete(output);
        for (var i = 0; i < output.Count; i++)
        {
            yield return output[i];
        }

        var inputTokens = reader.InputTokens;
        var outputTokens = reader.OutputTokens;
        yield return new ChatDelta(ChatDeltaKind.Usage, InputTokens: inputTokens, OutputTokens: outputTokens);
        var calls = reader.ToolCallCount;
        var reason = calls > 0 ? "tool_calls"
            : request.MaxOutputTokens is { } max && max > 0 && outputTokens >= max ? "length"
            : "stop";
        yield return new ChatDelta(ChatDeltaKind.Finish, FinishReason: reason);
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
