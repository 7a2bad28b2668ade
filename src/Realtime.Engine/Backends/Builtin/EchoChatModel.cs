using System.Runtime.CompilerServices;
using System.Security.Cryptography;

namespace Realtime.Engine.Backends.Builtin;

/// <summary>
/// "builtin:echo": a transparent diagnostic responder, not a language model. It answers "You said: …" with
/// the last user message, word by word; calls a tool when the user names one; and reports a tool's output.
/// Token counts are words (an approximation: there is no tokenizer).
/// It answers synchronously (no yield per word): an instant model costs the session no thread hop per delta, and
/// every delta lands in the session inbox before the loop drains them in one batch and one socket write.
/// </summary>
public sealed class EchoChatModel : IChatModel
{
    private const string CallIdAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    public string Name => "builtin:echo";

    public async IAsyncEnumerable<ChatDelta> StreamAsync(
        ChatRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var inputTokens = CountInputTokens(request);
        var last = request.Messages.Count > 0 ? request.Messages[^1] : null;
        var userText = LastUserText(request.Messages);

        if (last is not null && last.Role != ChatRole.Tool)
        {
            var tool = EchoToolMatcher.Match(request.Tools, request.ToolChoice, userText);
            if (tool is not null)
            {
                var arguments = EchoArguments.Build(tool.ParametersJson, userText);
                var id = "call_" + RandomNumberGenerator.GetString(CallIdAlphabet, 16);
                var fragments = Fragments(arguments);
                for (var i = 0; i < fragments.Length; i++)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    yield return i == 0
                        ? new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: 0, ToolCallId: id, ToolName: tool.Name, ArgumentsDelta: fragments[i])
                        : new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: 0, ArgumentsDelta: fragments[i]);
                }

                yield return new ChatDelta(ChatDeltaKind.Usage, InputTokens: inputTokens, OutputTokens: EchoWords.Count(arguments) + 1);
                yield return new ChatDelta(ChatDeltaKind.Finish, FinishReason: "tool_calls");
                yield break;
            }
        }

        var answer = last?.Role == ChatRole.Tool
            ? "The tool returned: " + last.Content
            : userText.Length == 0 ? "You said nothing." : "You said: " + userText;

        var limit = request.MaxOutputTokens ?? int.MaxValue;
        var produced = 0;
        var start = 0;
        while (start < answer.Length)
        {
            if (produced == limit)
            {
                yield return new ChatDelta(ChatDeltaKind.Usage, InputTokens: inputTokens, OutputTokens: produced);
                yield return new ChatDelta(ChatDeltaKind.Finish, FinishReason: "length");
                yield break;
            }

            // A word-sized delta: leading spaces plus the word, so the deltas concatenate to the answer.
            var end = start;
            while (end < answer.Length && answer[end] == ' ')
            {
                end++;
            }

            while (end < answer.Length && answer[end] != ' ')
            {
                end++;
            }

            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatDelta(ChatDeltaKind.Text, Text: answer[start..end]);
            produced++;
            start = end;
        }

        yield return new ChatDelta(ChatDeltaKind.Usage, InputTokens: inputTokens, OutputTokens: produced);
        yield return new ChatDelta(ChatDeltaKind.Finish, FinishReason: "stop");
    }

    private static string LastUserText(IReadOnlyList<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User)
            {
                return messages[i].Content.Trim();
            }
        }

        return string.Empty;
    }

    /// <summary>Arguments JSON in three pieces (two when short), as a real model streams them.</summary>
    private static string[] Fragments(string arguments)
    {
        if (arguments.Length < 6)
        {
            return [arguments[..(arguments.Length / 2)], arguments[(arguments.Length / 2)..]];
        }

        var third = arguments.Length / 3;
        return [arguments[..third], arguments[third..(2 * third)], arguments[(2 * third)..]];
    }

    // The instructions are one string for every response of a session (and of every session until a session.update
    // changes them): counted once, not per response.
    private static CountedText? s_lastInstructions;

    private static int CountInputTokens(ChatRequest request)
    {
        var count = request.Instructions is null ? 0 : CountInstructions(request.Instructions);
        foreach (var message in request.Messages)
        {
            count += EchoWords.Count(message.Content);
        }

        return count;
    }

    private static int CountInstructions(string instructions)
    {
        CountedText? last = Volatile.Read(ref s_lastInstructions);
        if (last is null || !ReferenceEquals(last.Text, instructions))
        {
            last = new CountedText(instructions, EchoWords.Count(instructions));
            Volatile.Write(ref s_lastInstructions, last);
        }

        return last.Words;
    }

    private sealed record CountedText(string Text, int Words);
}
