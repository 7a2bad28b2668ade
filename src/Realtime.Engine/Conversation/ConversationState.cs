namespace Realtime.Engine.Conversation;

/// <summary>The ordered items of the default conversation, with lookup by id. Touched only by the session loop.</summary>
public sealed class ConversationState
{
    private readonly List<ConversationItem> _items = [];
    private readonly Dictionary<string, ConversationItem> _byId = new(StringComparer.Ordinal);

    public ConversationState(string id) => Id = id;

    public string Id { get; }

    public IReadOnlyList<ConversationItem> Items => _items;

    public string? LastItemId => _items.Count == 0 ? null : _items[^1].Id;

    public bool Contains(string id) => _byId.ContainsKey(id);

    public ConversationItem? Find(string id) => _byId.GetValueOrDefault(id);

    /// <summary>Inserts after <paramref name="previousItemId"/> ("root" = first, null = last); returns the actual predecessor id.</summary>
    public string? Insert(ConversationItem item, string? previousItemId)
    {
        int index = previousItemId switch
        {
            null => _items.Count,
            "root" => 0,
            _ => _items.IndexOf(_byId[previousItemId]) + 1,
        };
        _items.Insert(index, item);
        _byId.Add(item.Id, item);
        return index == 0 ? null : _items[index - 1].Id;
    }

    public string? PreviousOf(ConversationItem item)
    {
        int index = _items.IndexOf(item);
        return index <= 0 ? null : _items[index - 1].Id;
    }

    public bool Remove(string id)
    {
        if (!_byId.Remove(id, out ConversationItem? item))
        {
            return false;
        }

        _items.Remove(item);
        return true;
    }
}
