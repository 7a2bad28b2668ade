namespace Realtime.Wire.Events;

/// <summary>The client events this server understands (same names in both dialects except transcription_session.update).</summary>
public enum ClientEventType
{
    None,
    SessionUpdate,
    TranscriptionSessionUpdate,
    InputAudioBufferAppend,
    InputAudioBufferCommit,
    InputAudioBufferClear,
    ConversationItemCreate,
    ConversationItemRetrieve,
    ConversationItemTruncate,
    ConversationItemDelete,
    ResponseCreate,
    ResponseCancel,
    SessionClose,
}
