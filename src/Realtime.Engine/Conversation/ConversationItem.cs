namespace Realtime.Engine.Conversation;

public enum ItemType { Message, FunctionCall, FunctionCallOutput }

public enum ItemRole { System, User, Assistant }

public enum ItemStatus { Completed, Incomplete, InProgress }

/// <summary>An item of the conversation (spec §6.2).</summary>
public sealed class ConversationItem
{
    public required string Id { get; init; }

    public ItemType Type { get; init; }

    public ItemRole Role { get; init; }

    public ItemStatus Status { get; set; } = ItemStatus.Completed;

    public List<ContentPart> Content { get; } = [];

    public string? CallId { get; set; }

    public string? Name { get; set; }

    public string? Arguments { get; set; }

    public string? Output { get; set; }

    /// <summary>What this item counted against the conversation's size when last counted (see <see cref="ConversationSize"/>).</summary>
    public long HeldBytes { get; internal set; }

    /// <summary>True while a response is still writing this item.</summary>
    public bool InResponse { get; set; }
}
