using System.Text;
using System.Text.Json;
using Realtime.Wire.Buffers;

namespace Realtime.Wire.Events;

/// <summary>
/// One parsed client event. Reused by its reader from message to message: the append audio lives in a pooled
/// buffer that grows once and is kept, and the event id stays as bytes until an error needs it as a string.
/// Object-valued fields (session, item, response) are parsed into a document only for those (cold) events.
/// </summary>
public sealed class ClientEvent : IDisposable
{
    private const int MaxEventIdBytes = 256;
    private readonly byte[] _eventId = new byte[MaxEventIdBytes];
    private int _eventIdLength = -1;
    private byte[] _audio = [];
    private JsonDocument? _session;
    private JsonDocument? _item;
    private JsonDocument? _response;

    public ClientEventType Type { get; internal set; }

    /// <summary>Decoded bytes of `input_audio_buffer.append.audio`; valid until the next read.</summary>
    public ReadOnlySpan<byte> Audio => _audio.AsSpan(0, AudioLength);

    public int AudioLength { get; internal set; }

    public bool HasEventId => _eventIdLength >= 0;

    /// <summary>The client's event id as a string (allocates; for error replies and cold events).</summary>
    public string? EventId => _eventIdLength < 0 ? null : Encoding.UTF8.GetString(_eventId, 0, _eventIdLength);

    public JsonElement Session => _session?.RootElement ?? default;

    public JsonElement Item => _item?.RootElement ?? default;

    public JsonElement Response => _response?.RootElement ?? default;

    public string? ItemId { get; internal set; }

    public string? ResponseId { get; internal set; }

    public string? PreviousItemId { get; internal set; }

    public long? ContentIndex { get; internal set; }

    public long? AudioEndMs { get; internal set; }

    internal void Clear()
    {
        Type = ClientEventType.None;
        AudioLength = 0;
        _eventIdLength = -1;
        ItemId = null;
        ResponseId = null;
        PreviousItemId = null;
        ContentIndex = null;
        AudioEndMs = null;
        DisposeDocuments();
    }

    internal void SetEventId(ref Utf8JsonReader reader)
    {
        int length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        if (length > MaxEventIdBytes)
        {
            // Ids longer than any client sends: keep the first part, enough to correlate.
            _eventIdLength = Encoding.UTF8.GetBytes(reader.GetString().AsSpan(0, 64), _eventId);
            return;
        }

        _eventIdLength = reader.CopyString(_eventId);
    }

    internal Span<byte> RentAudio(int maxBytes)
    {
        if (_audio.Length < maxBytes)
        {
            if (_audio.Length > 0)
            {
                BufferPool<byte>.Return(_audio);
            }

            _audio = BufferPool<byte>.Rent(maxBytes);
        }

        return _audio;
    }

    internal void SetDocument(string name, JsonDocument document)
    {
        switch (name)
        {
            case "session": _session?.Dispose(); _session = document; break;
            case "item": _item?.Dispose(); _item = document; break;
            default: _response?.Dispose(); _response = document; break;
        }
    }

    public void Dispose()
    {
        DisposeDocuments();
        if (_audio.Length > 0)
        {
            BufferPool<byte>.Return(_audio);
            _audio = [];
        }
    }

    private void DisposeDocuments()
    {
        _session?.Dispose();
        _item?.Dispose();
        _response?.Dispose();
        _session = _item = _response = null;
    }
}
