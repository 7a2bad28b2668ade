using System.Text.Json;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends;
using Realtime.Engine.Conversation;
using Realtime.Engine.Responses;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>Response lifecycle (§3.9, §3.10, §5.1–5.5): creation, deltas from the producer, closing, cancel.</summary>
public sealed partial class RealtimeSession
{
    /// <summary>What a session without responses iterates (its run table is made by the first one).</summary>
    private static readonly Dictionary<string, ResponseRun>.ValueCollection EmptyRuns = new Dictionary<string, ResponseRun>().Values;

    private void CreateResponse(JsonElement response)
    {
        if (_config.IsTranscription)
        {
            throw new RequestException(new ClientEventError("invalid_request", "Responses are not available in transcription sessions.", null));
        }

        ResponseSettings settings = ResponseParser.Parse(response, _config, _dialect, _conversation);
        if (!settings.OutOfBand && _defaultRun is not null)
        {
            throw new RequestException(new ClientEventError(
                "conversation_already_has_active_response",
                $"Conversation already has an active response in progress: {_defaultRun.Id}. Wait until the response is finished before creating a new one.",
                null));
        }

        StartResponse(settings, _event!.EventId);
    }

    /// <summary>Responses created while a transcript they need was still pending; started by <see cref="StartDeferredResponses"/>.</summary>
    /// <remarks>Made by the first response that waits: most sessions never have one.</remarks>
    private List<ResponseRun>? _deferredRuns;

    /// <summary>A user turn whose transcription failed while no response waited for it: the next response fails with it.</summary>
    private (string ItemId, Exception Error)? _unheardTurn;

    /// <param name="eventId">The client's response.create event id, echoed by a refusal; null when VAD starts it.</param>
    private void StartResponse(ResponseSettings settings, string? eventId = null)
    {
        if (!settings.OutOfBand && ConversationRoomError(1, 1) is { } full)
        {
            // A full conversation: say why there is no answer and go on.
            SendError(full, eventId);
            return;
        }

        var run = new ResponseRun(RealtimeIds.NewResponse(), settings) { ClientEventId = eventId };
        (_runs ??= new Dictionary<string, ResponseRun>(StringComparer.Ordinal)).Add(run.Id, run);
        if (!settings.OutOfBand)
        {
            _defaultRun = run;
        }

        Utf8JsonWriter json = _writer.Begin(ServerEventType.ResponseCreated);
        ResponseWriter.Write(json, run, _conversation.Id, _dialect, done: false);
        Send(json);
        (string ItemId, Exception Error)? unheard = settings.Input is null ? _unheardTurn : null;
        if (settings.Input is null)
        {
            _unheardTurn = null;
        }

        if (unheard is { } turn && IsLatestUserItem(turn.ItemId))
        {
            // The user's last turn could not be transcribed before this response was asked for: the model, which only
            // hears words, cannot answer it, as when the failure comes while the response waits (FailDeferredResponses).
            OnFailed(run, turn.Error, "transcription");
            return;
        }

        if (settings.Input is null && WaitsForTranscript())
        {
            // The user's last words are still being decoded: the model starts once their text is known.
            (_deferredRuns ??= []).Add(run);
            run.Timeline.TranscriptWaitStarted();
            return;
        }

        LaunchProducer(run);
    }

    /// <summary>Builds the model request from the conversation as it is now and starts the backends off the loop.</summary>
    private void LaunchProducer(ResponseRun run)
    {
        ResponseSettings settings = run.Settings;
        IReadOnlyList<ChatMessage> messages = settings.Input ?? ChatHistory.Build(_conversation.Items);
        int inputTokens = ChatHistory.EstimateTokens(settings.Instructions);
        foreach (ChatMessage message in messages)
        {
            inputTokens += ChatHistory.EstimateTokens(message.Content) + 4;
        }

        run.InputTokens = inputTokens;
        if (settings.Input is null)
        {
            long audioMs = 0;
            foreach (ConversationItem item in _conversation.Items)
            {
                foreach (ContentPart part in item.Content)
                {
                    if (part.Kind == ContentKind.InputAudio)
                    {
                        audioMs += part.AudioLength / Math.Max(1, part.AudioBytesPerMs);
                    }
                }
            }

            run.InputAudioTokens = (int)(audioMs / 100);
        }
        var tools = new List<ChatTool>(settings.Tools.Count);
        foreach (ToolDefinition tool in settings.Tools)
        {
            tools.Add(new ChatTool(tool.Name, tool.Description, tool.ParametersJson));
        }

        var request = new ChatRequest(_config.Model, settings.Instructions, messages, tools, settings.ToolChoice, settings.Temperature is double t ? (float)t : null, settings.MaxOutputTokens);
        _ = ResponseProducer.RunAsync(run, request, _engines.Llm, settings.AudioOutput ? _engines.Tts : null, _inbox);
    }

    private bool WaitsForTranscript()
    {
        if (_pendingTranscripts is not { Count: > 0 })
        {
            return false;
        }

        foreach (ConversationItem item in _conversation.Items)
        {
            if (_pendingTranscripts.Contains(item.Id))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Called when a transcript arrives: starts the deferred responses that no longer wait (cancelled ones are dropped).</summary>
    /// <param name="transcriptArrivedAt">When the transcript's reader received it (Stopwatch), the end of the backend's part of the wait.</param>
    private void StartDeferredResponses(long transcriptArrivedAt)
    {
        if (_deferredRuns is not { Count: > 0 } || WaitsForTranscript())
        {
            return;
        }

        foreach (ResponseRun run in _deferredRuns)
        {
            if (!run.Finished)
            {
                run.Timeline.TranscriptArrived(transcriptArrivedAt);
                LaunchProducer(run);
            }
        }

        _deferredRuns.Clear();
    }

    private bool IsLatestUserItem(string itemId)
    {
        IReadOnlyList<ConversationItem> items = _conversation.Items;
        for (int i = items.Count - 1; i >= 0; i--)
        {
            if (items[i].Role == ItemRole.User)
            {
                return items[i].Id == itemId;
            }
        }

        return false;
    }

    /// <summary>The transcript the deferred responses waited for failed: they fail with it, naming the stage.</summary>
    private void FailDeferredResponses(Exception error)
    {
        if (_deferredRuns is null)
        {
            return;
        }

        foreach (ResponseRun run in _deferredRuns)
        {
            OnFailed(run, error, "transcription");
        }

        _deferredRuns.Clear();
    }

    private void CancelResponse(string? responseId)
    {
        ResponseRun? run = responseId is null ? _defaultRun : _runs?.GetValueOrDefault(responseId);
        if (run is null)
        {
            throw new RequestException(new ClientEventError("response_cancel_not_active", "Cancellation failed: no active response found", null));
        }

        Cancel(run, "client_cancelled");
    }

    private void Cancel(ResponseRun run, string reason)
    {
        run.Status = ResponseStatus.Cancelled;
        run.StatusReason = reason;
        run.Cancellation.Cancel();
        Finish(run);
    }

    private ResponseRun? FindRunWriting(ConversationItem item)
    {
        foreach (ResponseRun run in _runs?.Values ?? EmptyRuns)
        {
            if (run.OpenMessage == item || run.OpenCall == item)
            {
                return run;
            }
        }

        return null;
    }

    private void OnChatDelta(ResponseRun run, ChatDelta delta)
    {
        if (run.Finished)
        {
            return;
        }

        switch (delta.Kind)
        {
            case ChatDeltaKind.Text when !string.IsNullOrEmpty(delta.Text) && run.OpenCall is null:
                ConversationItem item = run.OpenMessage ?? OpenMessage(run);
                int outputIndex = run.Output.Count - 1;
                run.Text.Append(delta.Text);
                ServerEventType type = run.Settings.AudioOutput ? ServerEventType.ResponseOutputAudioTranscriptDelta : ServerEventType.ResponseOutputTextDelta;
                _output.QueueText(_writer.WriteTextDelta(type, run.Id, item.Id, outputIndex, 0, delta.Text));
                if (!run.Settings.AudioOutput)
                {
                    RecordFirstOutput(run, "first_text");
                }
                run.OutputTextTokens += ChatHistory.EstimateTokens(delta.Text);
                if (run.Settings.MaxOutputTokens is int max && run.OutputTextTokens >= max)
                {
                    run.Status = ResponseStatus.Incomplete;
                    run.StatusReason = "max_output_tokens";
                    run.Cancellation.Cancel();
                    Finish(run);
                }

                break;
            case ChatDeltaKind.ToolCall:
                if (run.OpenMessage is not null)
                {
                    CloseMessage(run, ItemStatus.Completed);
                }

                if (run.OpenCall is null || run.OpenCallIndex != delta.ToolIndex)
                {
                    if (run.OpenCall is not null)
                    {
                        CloseCall(run, ItemStatus.Completed);
                    }

                    OpenCall(run, delta);
                }

                if (!string.IsNullOrEmpty(delta.ArgumentsDelta))
                {
                    run.Arguments.Append(delta.ArgumentsDelta);
                    _output.QueueText(_writer.WriteArgumentsDelta(run.Id, run.OpenCall!.Id, run.Output.Count - 1, run.OpenCall.CallId!, delta.ArgumentsDelta));
                }

                break;
            case ChatDeltaKind.Usage:
                run.ReportedInputTokens = delta.InputTokens;
                run.ReportedOutputTokens = delta.OutputTokens;
                break;
            case ChatDeltaKind.Finish:
                run.FinishReason = delta.FinishReason;
                break;
        }
    }

    private static void RecordFirstOutput(ResponseRun run, string stage)
    {
        if (run.Timeline.FirstOutput() is TimeSpan own)
        {
            Observability.EngineMetrics.GatewayOwnTime(stage, own);
        }
    }

    private void OnAudio(ResponseRun run, ReadOnlySpan<byte> audio)
    {
        if (run.Finished || run.OpenCall is not null || audio.IsEmpty)
        {
            return;
        }

        ConversationItem item = run.OpenMessage ?? OpenMessage(run);
        ContentPart part = item.Content[0];
        int outputIndex = run.Output.Count - 1;
        int maxBytes = part.AudioBytesPerMs * _options.MaxAudioDeltaMs;
        while (!audio.IsEmpty)
        {
            ReadOnlySpan<byte> piece = audio[..Math.Min(maxBytes, audio.Length)];
            if (_events is { } events)
            {
                // A transport on the typed seam (a phone call) takes the audio as it is: no JSON event, no base64 of
                // every piece only for the transport to drop it.
                events.OnAudio(run.Id, item.Id, 0, piece);
            }
            else
            {
                _output.QueueText(_writer.WriteAudioDelta(run.Id, item.Id, outputIndex, 0, piece));
            }

            part.AppendAudio(piece);
            audio = audio[piece.Length..];
        }

        RecordFirstOutput(run, "first_audio");
        _audioProduced = true;
        _conversation.Recount(item);
        if (_conversation.HeldBytes > _options.MaxConversationBytes && !run.Settings.OutOfBand)
        {
            // The answer's audio would make the conversation too big: stop it here rather than hold without bound.
            run.Status = ResponseStatus.Failed;
            run.ErrorType = "invalid_request_error";
            run.ErrorCode = "conversation_size_exceeded";
            run.ErrorMessage = $"The response's audio made the conversation hold more than the {_options.MaxConversationBytes} bytes of text and audio this server allows. Delete items (conversation.item.delete) before asking for more.";
            run.Cancellation.Cancel();
            Finish(run);
        }
    }

    private ConversationItem OpenMessage(ResponseRun run)
    {
        var item = new ConversationItem { Id = RealtimeIds.NewItem(), Type = ItemType.Message, Role = ItemRole.Assistant, Status = ItemStatus.InProgress, InResponse = true };
        run.OpenMessage = item;
        run.Text.Clear();
        run.Output.Add(item);
        int outputIndex = run.Output.Count - 1;
        SendOutputItem(ServerEventType.ResponseOutputItemAdded, run, item, outputIndex);
        AddToConversation(run, item);
        var part = run.Settings.AudioOutput
            ? new ContentPart { Kind = ContentKind.OutputAudio, AudioBytesPerMs = run.Settings.OutputFormat == Wire.Audio.AudioFormat.Pcm16 ? 48 : 8 }
            : new ContentPart { Kind = ContentKind.OutputText };
        item.Content.Add(part);
        SendContentPart(ServerEventType.ResponseContentPartAdded, run, item, outputIndex, "");
        return item;
    }

    private void OpenCall(ResponseRun run, ChatDelta delta)
    {
        var item = new ConversationItem
        {
            Id = RealtimeIds.NewItem(),
            Type = ItemType.FunctionCall,
            Status = ItemStatus.InProgress,
            CallId = string.IsNullOrEmpty(delta.ToolCallId) ? RealtimeIds.NewCall() : delta.ToolCallId,
            Name = delta.ToolName ?? "",
            Arguments = "",
            InResponse = true,
        };
        run.OpenCall = item;
        run.OpenCallIndex = delta.ToolIndex;
        run.Arguments.Clear();
        run.Output.Add(item);
        SendOutputItem(ServerEventType.ResponseOutputItemAdded, run, item, run.Output.Count - 1);
        AddToConversation(run, item);
    }

    private void AddToConversation(ResponseRun run, ConversationItem item)
    {
        if (run.Settings.OutOfBand)
        {
            return;
        }

        string? previous = _conversation.Insert(item, null);
        SendItemEvent(_dialect == Dialect.Beta ? ServerEventType.ConversationItemCreated : ServerEventType.ConversationItemAdded, item, previous);
    }

    private void CloseMessage(ResponseRun run, ItemStatus status)
    {
        ConversationItem item = run.OpenMessage!;
        run.OpenMessage = null;
        int outputIndex = run.Output.IndexOf(item);
        ContentPart part = item.Content[0];
        string text = run.Text.ToString();
        Utf8JsonWriter json;
        if (run.Settings.AudioOutput)
        {
            part.Transcript = text;
            json = BeginPartEvent(ServerEventType.ResponseOutputAudioDone, run, item, outputIndex);
            Send(json);
            json = BeginPartEvent(ServerEventType.ResponseOutputAudioTranscriptDone, run, item, outputIndex);
            json.WriteString("transcript"u8, text);
            Send(json);
            _events?.OnAudioDone(run.Id, item.Id, 0, text);
            run.OutputAudioTokens += (int)(part.AudioLength / part.AudioBytesPerMs / 50);
        }
        else
        {
            part.Text = text;
            json = BeginPartEvent(ServerEventType.ResponseOutputTextDone, run, item, outputIndex);
            json.WriteString("text"u8, text);
            Send(json);
        }

        SendContentPart(ServerEventType.ResponseContentPartDone, run, item, outputIndex, text);
        CloseItem(run, item, outputIndex, status);
    }

    private void CloseCall(ResponseRun run, ItemStatus status)
    {
        ConversationItem item = run.OpenCall!;
        run.OpenCall = null;
        run.OpenCallIndex = -1;
        item.Arguments = run.Arguments.ToString();
        int outputIndex = run.Output.IndexOf(item);
        Utf8JsonWriter json = _writer.Begin(ServerEventType.ResponseFunctionCallArgumentsDone);
        json.WriteString("response_id"u8, run.Id);
        json.WriteString("item_id"u8, item.Id);
        json.WriteNumber("output_index"u8, outputIndex);
        json.WriteString("call_id"u8, item.CallId);
        json.WriteString("name"u8, item.Name);
        json.WriteString("arguments"u8, item.Arguments);
        Send(json);
        _events?.OnFunctionCall(run.Id, item.Id, item.CallId!, item.Name!, item.Arguments);
        run.OutputTextTokens += ChatHistory.EstimateTokens(item.Arguments);
        CloseItem(run, item, outputIndex, status);
    }

    private void CloseItem(ResponseRun run, ConversationItem item, int outputIndex, ItemStatus status)
    {
        item.Status = status;
        item.InResponse = false;
        _conversation.Recount(item);
        if (!run.Settings.OutOfBand && _dialect == Dialect.Ga && _conversation.Contains(item.Id))
        {
            SendItemEvent(ServerEventType.ConversationItemDone, item, _conversation.PreviousOf(item));
        }

        SendOutputItem(ServerEventType.ResponseOutputItemDone, run, item, outputIndex);
    }

    private void OnFinished(ResponseRun run)
    {
        if (run.Finished)
        {
            return;
        }

        if (run.FinishReason == "length")
        {
            run.Status = ResponseStatus.Incomplete;
            run.StatusReason = "max_output_tokens";
        }
        else
        {
            run.Status = ResponseStatus.Completed;
        }

        Finish(run);
    }

    private void OnFailed(ResponseRun run, Exception error, string stage)
    {
        if (run.Finished)
        {
            return;
        }

        // Only the exception's message: backends put no audio or keys there, and the session scope names the session.
        BackendFailure failure = BackendFailure.Of(error);
        _logger.LogWarning("Response {ResponseId} failed in the {Stage} backend ({Code}): {Error}", run.Id, stage, failure.Code, error.Message);
        run.Status = ResponseStatus.Failed;
        run.ErrorCode = stage + "_failed";
        run.ErrorMessage = $"The {stage} backend failed ({failure.Code}): {error.Message}";
        // The error event says which backend failure it was (status_details.error names the stage); it echoes the
        // response.create's event_id when the client sent one, and comes before response.done, which ends the turn.
        SendError(new ClientEventError(failure.Code, run.ErrorMessage, null, "server_error"), run.ClientEventId);
        // The other stage may still be mid-call (TTS of an earlier sentence when the LLM failed): stop it too.
        run.Cancellation.Cancel();
        Finish(run);
    }

    /// <summary>Closes every open part and item, then sends response.done (and rate_limits.updated). Nothing of this run is sent afterwards.</summary>
    private void Finish(ResponseRun run)
    {
        ItemStatus itemStatus = run.Status == ResponseStatus.Completed ? ItemStatus.Completed : ItemStatus.Incomplete;
        if (run.OpenMessage is not null)
        {
            CloseMessage(run, itemStatus);
        }

        if (run.OpenCall is not null)
        {
            CloseCall(run, itemStatus);
        }

        run.Finished = true;
        _runs?.Remove(run.Id);
        if (_defaultRun == run)
        {
            _defaultRun = null;
            ArmIdleTimeout(run);
        }

        Utf8JsonWriter json = _writer.Begin(ServerEventType.ResponseDone);
        ResponseWriter.Write(json, run, _conversation.Id, _dialect, done: true);
        Send(json);
        _events?.OnResponseDone(run.Id, run.Status, run.StatusReason, run.ErrorMessage);

        json = _writer.Begin(ServerEventType.RateLimitsUpdated);
        json.WriteStartArray("rate_limits"u8);
        json.WriteStartObject();
        json.WriteString("name"u8, "tokens"u8);
        json.WriteNumber("limit"u8, 15_000_000);
        json.WriteNumber("remaining"u8, 15_000_000);
        json.WriteNumber("reset_seconds"u8, 0);
        json.WriteEndObject();
        json.WriteEndArray();
        Send(json);
        run.Dispose();
    }

    private Utf8JsonWriter BeginPartEvent(ServerEventType type, ResponseRun run, ConversationItem item, int outputIndex)
    {
        Utf8JsonWriter json = _writer.Begin(type);
        json.WriteString("response_id"u8, run.Id);
        json.WriteString("item_id"u8, item.Id);
        json.WriteNumber("output_index"u8, outputIndex);
        json.WriteNumber("content_index"u8, 0);
        return json;
    }

    private void SendContentPart(ServerEventType type, ResponseRun run, ConversationItem item, int outputIndex, string text)
    {
        Utf8JsonWriter json = BeginPartEvent(type, run, item, outputIndex);
        json.WriteStartObject("part"u8);
        if (run.Settings.AudioOutput)
        {
            json.WriteString("type"u8, "audio"u8);
            json.WriteString("transcript"u8, text);
        }
        else
        {
            json.WriteString("type"u8, "text"u8);
            json.WriteString("text"u8, text);
        }

        json.WriteEndObject();
        Send(json);
    }

    private void SendOutputItem(ServerEventType type, ResponseRun run, ConversationItem item, int outputIndex)
    {
        Utf8JsonWriter json = _writer.Begin(type);
        json.WriteString("response_id"u8, run.Id);
        json.WriteNumber("output_index"u8, outputIndex);
        json.WritePropertyName("item"u8);
        ItemWriter.Write(json, item, _dialect, includeAudio: false);
        Send(json);
    }
}
