namespace Realtime.Engine.Conversation;

/// <summary>
/// What an item counts against `Realtime:Limits:MaxConversationBytes`: its text (in characters: transcript, text,
/// arguments, output, image URL) plus its audio bytes. Allocation-free so the audio path can recount as it grows.
/// </summary>
public static class ConversationSize
{
    public static long Of(ConversationItem item)
    {
        long bytes = Length(item.Arguments) + Length(item.Output) + Length(item.Name) + Length(item.CallId);
        foreach (ContentPart part in item.Content)
        {
            bytes += Length(part.Text) + Length(part.Transcript) + Length(part.HeardText) + Length(part.ImageUrl) + part.AudioLength;
        }

        return bytes;
    }

    private static long Length(string? text) => text?.Length ?? 0;
}
