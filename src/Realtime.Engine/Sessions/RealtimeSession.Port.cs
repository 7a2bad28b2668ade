using Realtime.Engine.Conversation;
using Realtime.Engine.Responses;
using Realtime.Wire.Buffers;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>
/// The transport-neutral seam: typed commands in (audio, configuration, text, truncation, function outputs) and
/// typed callbacks out (<see cref="ISessionEvents"/>). A phone bridge or a WebRTC transport drives the very same
/// session loop as the Realtime WebSocket, without JSON. Every method is thread-safe: it queues into the inbox and
/// the loop applies it in order with everything else.
/// </summary>
public sealed partial class RealtimeSession
{
    private readonly ISessionEvents? _events;

    /// <summary>Applies transport settings (before the first audio, so formats are in force for it).</summary>
    public void Configure(SessionSettings settings) => Post(() => ApplySettings(settings));

    /// <summary>
    /// Appends input audio in the configured input format, as input_audio_buffer.append does (server VAD, barge-in,
    /// transcription). The bytes are copied; false once the session has ended.
    /// </summary>
    public bool AppendAudio(ReadOnlySpan<byte> audio)
    {
        byte[] buffer = BufferPool<byte>.Rent(Math.Max(1, audio.Length));
        audio.CopyTo(buffer);
        if (_inbox.TryWriteAndDrain(new SessionMessage(SessionMessageKind.PortAudio, buffer, audio.Length)))
        {
            return true;
        }

        BufferPool<byte>.Return(buffer);
        return false;
    }

    /// <summary>Adds a user text message and answers it (an answer in progress is cancelled first, as on barge-in).</summary>
    public void AddUserText(string text) => Post(() =>
    {
        var item = new ConversationItem { Id = RealtimeIds.NewItem(), Type = ItemType.Message, Role = ItemRole.User };
        item.Content.Add(new ContentPart { Kind = ContentKind.InputText, Text = text });
        InsertItem(item);
        if (_defaultRun is { } run)
        {
            Cancel(run, "turn_detected");
        }

        StartDefaultResponse();
    });

    /// <summary>Cuts an assistant audio part to what the user heard (conversation.item.truncate).</summary>
    public void Truncate(string itemId, int contentIndex, long audioEndMs) => Post(() => TruncateItem(itemId, contentIndex, audioEndMs));

    /// <summary>Adds a function call's output; <paramref name="respond"/> then asks for an answer unless one is already in progress.</summary>
    public void AddFunctionOutput(string callId, string output, bool respond) => Post(() =>
    {
        InsertItem(new ConversationItem { Id = RealtimeIds.NewItem(), Type = ItemType.FunctionCallOutput, CallId = callId, Output = output });
        if (respond && _defaultRun is null)
        {
            StartDefaultResponse();
        }
    });

    private void Post(Action command) => _inbox.TryWrite(new SessionMessage(SessionMessageKind.PortCommand, Command: command));

    private void RunCommand(Action command)
    {
        try
        {
            command();
        }
        catch (RequestException e)
        {
            SendError(e.Error, null);
        }
    }

    private void ApplySettings(SessionSettings settings)
    {
        SessionConfig next = _config.Clone();
        next.InputFormat = settings.Format;
        next.OutputFormat = settings.Format;
        if (settings.Instructions is { } instructions)
        {
            next.Instructions = instructions;
        }

        if (settings.Voice is { Length: > 0 } voice)
        {
            next.Voice = voice;
            next.VoiceIsCustom = Array.IndexOf(SessionConfig.Voices, voice) < 0;
        }

        if (settings.Tools is { } tools)
        {
            next.Tools = tools;
        }

        if (settings.TurnDetection is { } turns)
        {
            next.TurnDetection = turns;
        }

        _config = next;
        ApplyTurnDetection();
    }

    private void InsertItem(ConversationItem item)
    {
        if (ConversationRoomError(1, ConversationSize.Of(item)) is { } full)
        {
            throw new RequestException(full);
        }

        string? previous = _conversation.Insert(item, null);
        SendItemAddedAndDone(item, previous);
    }

    private void StartDefaultResponse() => StartResponse(ResponseParser.Parse(default, _config, _dialect, _conversation));
}
