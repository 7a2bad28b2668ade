namespace Realtime.Engine.Backends;

/// <summary>The language model stage: a chat request in, a stream of text and tool-call deltas out.</summary>
public interface IChatModel
{
    string Name { get; }

    /// <summary>Streams the answer. Cancelling the token must stop the backend call promptly.</summary>
    IAsyncEnumerable<ChatDelta> StreamAsync(ChatRequest request, CancellationToken cancellationToken);
}

public enum ChatRole { System, User, Assistant, Tool }

/// <summary>One message of the chat history built from the conversation.</summary>
public sealed record ChatMessage(ChatRole Role, string Content)
{
    /// <summary>For assistant messages that called tools.</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>For tool messages: the call this output answers.</summary>
    public string? ToolCallId { get; init; }

    /// <summary>For tool messages: the function name, when known.</summary>
    public string? Name { get; init; }
}

public sealed record ChatToolCall(string Id, string Name, string ArgumentsJson);

/// <summary>A function the model may call; <see cref="ParametersJson"/> is the JSON Schema text or null.</summary>
public sealed record ChatTool(string Name, string? Description, string? ParametersJson);

public sealed record ChatRequest(
    string? Model,
    string? Instructions,
    IReadOnlyList<ChatMessage> Messages,
    IReadOnlyList<ChatTool> Tools,
    /// <summary>"auto", "none", "required", or a function name to force.</summary>
    string ToolChoice,
    float? Temperature,
    /// <summary>Null means unlimited ("inf").</summary>
    int? MaxOutputTokens);

public enum ChatDeltaKind { Text, ToolCall, Usage, Finish }

/// <summary>
/// One streamed piece of the answer. Text: <see cref="Text"/>. ToolCall: a fragment for call
/// <see cref="ToolIndex"/> (Id and Name set when the call first appears, ArgumentsDelta appended).
/// Usage: token counts. Finish: <see cref="FinishReason"/> ("stop", "length", "tool_calls").
/// </summary>
public readonly record struct ChatDelta(
    ChatDeltaKind Kind,
    string? Text = null,
    int ToolIndex = 0,
    string? ToolCallId = null,
    string? ToolName = null,
    string? ArgumentsDelta = null,
    int InputTokens = 0,
    int OutputTokens = 0,
    string? FinishReason = null);
