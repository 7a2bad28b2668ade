using System.Text.Json;

namespace Realtime.Wire.Events;

/// <summary>Event `type` strings per dialect (spec §2.1), pre-encoded so writing a name costs nothing.</summary>
public static class ServerEventNames
{
    private static readonly JsonEncodedText[] Ga = Build(Dialect.Ga);
    private static readonly JsonEncodedText[] Beta = Build(Dialect.Beta);

    public static JsonEncodedText Get(ServerEventType type, Dialect dialect) => (dialect == Dialect.Beta ? Beta : Ga)[(int)type];

    public static string Name(ServerEventType type, Dialect dialect) => Get(type, dialect).Value;

    private static JsonEncodedText[] Build(Dialect dialect)
    {
        bool beta = dialect == Dialect.Beta;
        var names = new JsonEncodedText[Enum.GetValues<ServerEventType>().Length];
        foreach (ServerEventType type in Enum.GetValues<ServerEventType>())
        {
            string name = type switch
            {
                ServerEventType.Error => "error",
                ServerEventType.SessionCreated => "session.created",
                ServerEventType.SessionUpdated => "session.updated",
                ServerEventType.TranscriptionSessionUpdated => "transcription_session.updated",
                ServerEventType.ConversationCreated => "conversation.created",
                ServerEventType.ConversationItemAdded => "conversation.item.added",
                ServerEventType.ConversationItemDone => "conversation.item.done",
                ServerEventType.ConversationItemCreated => "conversation.item.created",
                ServerEventType.ConversationItemRetrieved => "conversation.item.retrieved",
                ServerEventType.ConversationItemTruncated => "conversation.item.truncated",
                ServerEventType.ConversationItemDeleted => "conversation.item.deleted",
                ServerEventType.InputAudioBufferCommitted => "input_audio_buffer.committed",
                ServerEventType.InputAudioBufferCleared => "input_audio_buffer.cleared",
                ServerEventType.InputAudioBufferSpeechStarted => "input_audio_buffer.speech_started",
                ServerEventType.InputAudioBufferSpeechStopped => "input_audio_buffer.speech_stopped",
                ServerEventType.InputAudioBufferTimeoutTriggered => "input_audio_buffer.timeout_triggered",
                ServerEventType.InputAudioTranscriptionDelta => "conversation.item.input_audio_transcription.delta",
                ServerEventType.InputAudioTranscriptionCompleted => "conversation.item.input_audio_transcription.completed",
                ServerEventType.InputAudioTranscriptionFailed => "conversation.item.input_audio_transcription.failed",
                ServerEventType.ResponseCreated => "response.created",
                ServerEventType.ResponseDone => "response.done",
                ServerEventType.ResponseOutputItemAdded => "response.output_item.added",
                ServerEventType.ResponseOutputItemDone => "response.output_item.done",
                ServerEventType.ResponseContentPartAdded => "response.content_part.added",
                ServerEventType.ResponseContentPartDone => "response.content_part.done",
                ServerEventType.ResponseOutputTextDelta => beta ? "response.text.delta" : "response.output_text.delta",
                ServerEventType.ResponseOutputTextDone => beta ? "response.text.done" : "response.output_text.done",
                ServerEventType.ResponseOutputAudioDelta => beta ? "response.audio.delta" : "response.output_audio.delta",
                ServerEventType.ResponseOutputAudioDone => beta ? "response.audio.done" : "response.output_audio.done",
                ServerEventType.ResponseOutputAudioTranscriptDelta => beta ? "response.audio_transcript.delta" : "response.output_audio_transcript.delta",
                ServerEventType.ResponseOutputAudioTranscriptDone => beta ? "response.audio_transcript.done" : "response.output_audio_transcript.done",
                ServerEventType.ResponseFunctionCallArgumentsDelta => "response.function_call_arguments.delta",
                ServerEventType.ResponseFunctionCallArgumentsDone => "response.function_call_arguments.done",
                _ => "rate_limits.updated",
            };
            names[(int)type] = JsonEncodedText.Encode(name);
        }

        return names;
    }
}
