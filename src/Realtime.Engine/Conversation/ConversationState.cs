namespace Realtime.Engine.Conversation;

/// <summary>The ordered items of the default conversation, with lookup by id. Touched only by the session loop.</summary>
public sealed class ConversationState
{
    private readonly List<ConversationItem> _items = [];

    // Made by the first item: a session that never talks holds none.
    private Dictionary<string, ConversationItem>? _byId;

    private string? _id;

    /// <summary>Made when first written (a GA session that never answers never names its conversation).</summary>
    public string Id => _id ??= Wire.Events.RealtimeIds.NewConversation();

    public IReadOnlyList<ConversationItem> Items => _items;

    /// <summary>Items in the conversation.</summary>
    public int Count => _items.Count;

    /// <summary>Text and audio held by the items, as last counted (<see cref="ConversationSize"/>).</summary>
    public long HeldBytes { get; private set; }

    public string? LastItemId => _items.Count == 0 ? null : _items[^1].Id;

    public bool Contains(string id) => _byId?.ContainsKey(id) == true;

    public ConversationItem? Find(string id) => _byId?.GetValueOrDefault(id);

    /// <summary>Inserts after <paramref name="previousItemId"/> ("root" = first, null = last); returns the actual predecessor id.</summary>
    public string? Insert(ConversationItem item, string? previousItemId)
    {
        int index = previousItemId switch
        {
            null => _items.Count,
            "root" => 0,
            _ => _items.IndexOf(Find(previousItemId) ?? throw new KeyNotFoundException(previousItemId)) + 1,
        };
        _items.Insert(index, item);
        (_byId ??= new Dictionary<string, ConversationItem>(StringComparer.Ordinal)).Add(item.Id, item);
        item.HeldBytes = ConversationSize.Of(item);
        HeldBytes += item.HeldBytes;
        return index == 0 ? null : _items[index - 1].Id;
    }

    public string? PreviousOf(ConversationItem item)
    {
        int index = _items.IndexOf(item);
        return index <= 0 ? null : _items[index - 1].Id;
    }

    public bool Remove(string id)
    {
        if (_byId is null || !_byId.Remove(id, out ConversationItem? item))
        {
            return false;
        }

        _items.Remove(item);
        HeldBytes -= item.HeldBytes;
        return true;
    }

    /// <summary>Counts an item again after it grew or shrank (response output, truncation); items not held are ignored.</summary>
    public void Recount(ConversationItem item)
    {
        if (_byId is null || !_byId.TryGetValue(item.Id, out ConversationItem? held) || !ReferenceEquals(held, item))
        {
            return;
        }

        long bytes = ConversationSize.Of(item);
        HeldBytes += bytes - item.HeldBytes;
        item.HeldBytes = bytes;
    }
}
