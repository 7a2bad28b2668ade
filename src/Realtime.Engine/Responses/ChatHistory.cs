using System.Text;
using Realtime.Engine.Backends;
using Realtime.Engine.Conversation;

namespace Realtime.Engine.Responses;

/// <summary>Turns conversation items into chat messages: text and transcripts as content, calls and outputs as tool turns.</summary>
internal static class ChatHistory
{
    public static List<ChatMessage> Build(IEnumerable<ConversationItem> items)
    {
        var messages = new List<ChatMessage>();
        foreach (ConversationItem item in items)
        {
            switch (item.Type)
            {
                case ItemType.FunctionCall:
                    messages.Add(new ChatMessage(ChatRole.Assistant, "") { ToolCalls = [new ChatToolCall(item.CallId!, item.Name!, item.Arguments ?? "")] });
                    break;
                case ItemType.FunctionCallOutput:
                    messages.Add(new ChatMessage(ChatRole.Tool, item.Output ?? "") { ToolCallId = item.CallId });
                    break;
                default:
                    var text = new StringBuilder();
                    foreach (ContentPart part in item.Content)
                    {
                        string? piece = part.Text ?? part.Transcript ?? part.HeardText;
                        if (!string.IsNullOrEmpty(piece))
                        {
                            if (text.Length > 0)
                            {
                                text.Append(' ');
                            }

                            text.Append(piece);
                        }
                    }

                    ChatRole role = item.Role switch { ItemRole.System => ChatRole.System, ItemRole.User => ChatRole.User, _ => ChatRole.Assistant };
                    messages.Add(new ChatMessage(role, text.ToString()));
                    break;
            }
        }

        return messages;
    }

    /// <summary>Rough token estimate (4 characters per token), as §6.4 suggests when no tokenizer is at hand.</summary>
    public static int EstimateTokens(string? text) => string.IsNullOrEmpty(text) ? 0 : (text.Length + 3) / 4;
}
