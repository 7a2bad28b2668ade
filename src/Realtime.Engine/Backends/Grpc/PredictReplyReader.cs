using System.Text;
using Google.Protobuf;
using Realtime.Engine.Backends.Grpc.Protocol;
using Realtime.Engine.Backends.OpenAiHttp;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// Turns PredictStream replies into chat deltas: structured <c>chat_deltas</c> when the backend sends them
/// (then <c>Reply.message</c> is raw markup and ignored), else the UTF-8 text through <see cref="TextReplyFilter"/>.
/// Token counts are running totals: the last non-zero value wins.
/// </summary>
internal sealed class PredictReplyReader
{
    private readonly Decoder _decoder = Encoding.UTF8.GetDecoder();
    private readonly TextReplyFilter _filter = new();
    private readonly List<int> _seenCalls = [];
    private char[] _chars = new char[256];
    private bool _structured;

    public int InputTokens { get; private set; }

    public int OutputTokens { get; private set; }

    public int ToolCallCount => _structured ? _seenCalls.Count : _filter.ToolCallCount;

    public void Read(Reply reply, List<ChatDelta> output)
    {
        if (reply.Tokens != 0)
        {
            OutputTokens = reply.Tokens;
        }

        if (reply.PromptTokens != 0)
        {
            InputTokens = reply.PromptTokens;
        }

        if (reply.ChatDeltas.Count > 0)
        {
            _structured = true;
            foreach (var delta in reply.ChatDeltas)
            {
                if (delta.Content.Length > 0)
                {
                    output.Add(new ChatDelta(ChatDeltaKind.Text, Text: delta.Content));
                }

                foreach (var tool in delta.ToolCalls)
                {
                    if (!_seenCalls.Contains(tool.Index))
                    {
                        _seenCalls.Add(tool.Index);
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
        else if (!_structured && reply.Message.Length > 0)
        {
            _filter.Append(Decode(reply.Message.Span, flush: false), output);
        }
    }

    public void Complete(List<ChatDelta> output)
    {
        if (_structured)
        {
            return;
        }

        var tail = Decode(ReadOnlySpan<byte>.Empty, flush: true);
        if (tail.Length > 0)
        {
            _filter.Append(tail, output);
        }

        _filter.Complete(output);
    }

    /// <summary>Decodes UTF-8 that may end mid-rune; the decoder keeps the partial sequence for the next chunk.</summary>
    private string Decode(ReadOnlySpan<byte> bytes, bool flush)
    {
        var needed = _decoder.GetCharCount(bytes, flush);
        if (needed > _chars.Length)
        {
            _chars = new char[Math.Max(needed, _chars.Length * 2)];
        }

        var count = _decoder.GetChars(bytes, _chars, flush);
        return new string(_chars, 0, count);
    }

    /// <summary>
    /// llama.cpp reports a failure on the first result as one <c>Reply{message: error text}</c> followed by
    /// INTERNAL. Such a reply (text, no token counts, nothing structured) is held until the next reply proves
    /// the stream healthy, so the error text is never spoken.
    /// </summary>
    public static bool MightBeErrorText(Reply reply) =>
        reply.Message.Length > 0 && reply.Tokens == 0 && reply.PromptTokens == 0 && reply.ChatDeltas.Count == 0;
}
