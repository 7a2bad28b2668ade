using System.Text.Json;
using Realtime.Engine.Audio;
using Realtime.Engine.Backends;
using Realtime.Engine.Conversation;
using Realtime.Engine.Responses;
using Realtime.Engine.TurnDetection;
using Realtime.Wire.Audio;
using Realtime.Wire.Buffers;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>
/// Input audio: server VAD on audio time (speech_started/stopped, auto-commit, auto-response, barge-in),
/// idle timeout, and input transcription of committed turns.
/// </summary>
public sealed partial class RealtimeSession
{
    /// <summary>Cancelled when the loop ends: recognitions still running for a closed session stop their backend calls.</summary>
    private CancellationToken ClosingToken => (_closing ??= new CancellationTokenSource()).Token;

    // User items whose transcript is still being decoded; a response that needs their text waits for it. Made at the
    // first committed turn with a recognizer: an idle session holds no set.
    private HashSet<string>? _pendingTranscripts;

    // Made by the first append or response audio: an idle session holds none of it (~150 bytes).
    private SpeechTurnState? _turn;

    /// <summary>The session's speech and turn state, made at first use.</summary>
    private SpeechTurnState Turn => _turn ??= new SpeechTurnState();

    private int InputBytesPerMs => _config.InputFormat.BytesPerMillisecond();

    private long AudioClockMs => _appendedBytes / InputBytesPerMs;

    /// <summary>(Re)creates or drops the turn detector after the session's turn detection changed.</summary>
    private void ApplyTurnDetection()
    {
        TurnDetectionConfig? config = _config.TurnDetection;
        if (config is null || _engines.Vad is null)
        {
            if (_turn is { } off)
            {
                off.Detector?.Dispose();
                off.Detector = null;
                off.SpeechItemId = null;
            }

            return;
        }

        // semantic_vad: Silero speech segments; the silence that ends the turn comes from SemanticTurnPolicy
        // (partial transcript + eagerness) and is updated as live recognition deltas arrive.
        Turn.SemanticEagerness = config.Semantic ? SemanticTurnPolicy.ParseEagerness(config.Eagerness) : null;
        TurnDetectionSettings settings = config.Semantic
            ? new TurnDetectionSettings(0.5f, 300, SemanticTurnPolicy.HoldOffMs(default, Turn.SemanticEagerness!.Value))
            : new TurnDetectionSettings((float)config.Threshold, config.PrefixPaddingMs, config.SilenceDurationMs);
        if (Turn.Detector is null)
        {
            Turn.Detector = new TurnDetector(_engines.Vad, settings);
        }
        else
        {
            Turn.Detector.Settings = settings;
        }

        UpdateSemanticHoldOff();

        if (Turn.Converter is null || Turn.Converter.Format != _config.InputFormat)
        {
            Turn.Converter = new InputAudioConverter(_config.InputFormat);
        }
    }

    private void OnInputAudio(ReadOnlySpan<byte> audio)
    {
        SpeechTurnState turn = Turn;
        if (turn.Detector is null && _config.TurnDetection is not null && _engines.Vad is not null)
        {
            ApplyTurnDetection();
        }

        if (turn.Detector is null || turn.Converter is null)
        {
            return;
        }

        int needed = InputAudioConverter.MaxOutputSamples(audio.Length, turn.Converter.Format);
        if (turn.Samples16k.Length < needed)
        {
            if (turn.Samples16k.Length > 0)
            {
                BufferPool<float>.Return(turn.Samples16k);
            }

            turn.Samples16k = BufferPool<float>.Rent(needed);
        }

        int count = turn.Converter.Convert(audio, turn.Samples16k);
        // A stream opened at an earlier speech start gets this chunk; one opened below reads it from the buffer.
        turn.LiveRecognition?.Write(turn.Samples16k.AsSpan(0, count));
        // Made by the first append: a session that never sends audio holds no list.
        List<TurnEvent> turnEvents = turn.TurnEvents ??= [];
        turnEvents.Clear();
        turn.Detector.EchoGuardUntilMs = EchoGuardUntilMs();
        // Silero frames of sessions speaking at once are inferred as one batch: the detection may complete later.
        // The loop then awaits it before the next message (PendingTurnDetection), so events keep their order.
        ValueTask detection = turn.Detector.ProcessAsync(turn.Samples16k.AsMemory(0, count), turnEvents);
        if (!detection.IsCompleted)
        {
            PendingTurnDetection = detection;
            return;
        }

        detection.GetAwaiter().GetResult();
        OnTurnEvents();
    }

    /// <summary>
    /// Set when an append's turn detection waits for a batched VAD inference; the loop awaits it, then calls
    /// <see cref="OnTurnEvents"/> before handling anything else. <see cref="SpeechTurnState.Samples16k"/> stays untouched meanwhile.
    /// </summary>
    private ValueTask? PendingTurnDetection
    {
        get => _turn?.PendingTurnDetection;
        set => Turn.PendingTurnDetection = value;
    }

    /// <summary>
    /// Finishes an append whose turn detection waited for a batched inference (awaited by the loop, which has no
    /// other state machine per frame): same error handling as <see cref="Handle"/>, then the append counts as handled.
    /// </summary>
    private void CompleteTurnDetection(Exception? failure)
    {
        PendingTurnDetection = null;
        if (failure is null)
        {
            try
            {
                OnTurnEvents();
            }
            catch (Exception e)
            {
                failure = e;
            }
        }

        if (failure is not null)
        {
            SendError(new ClientEventError("server_error", "The server had an error while processing your request: " + failure.Message, null, "server_error"), null);
        }

        Volatile.Write(ref _handled, _handled + 1);
    }

    /// <summary>Acts on the turn events of the append just detected (the second half of <see cref="OnInputAudio"/>).</summary>
    private void OnTurnEvents()
    {
        foreach (TurnEvent turn in Turn.TurnEvents!)
        {
            if (turn.Kind == TurnEventKind.SpeechStarted)
            {
                OnSpeechStarted(turn.AudioMs);
            }
            else
            {
                OnSpeechStopped(turn.AudioMs);
            }
        }

        CheckIdleTimeout();
        if (Turn.Detector?.TakeDetectorFailure() is { } failure)
        {
            // Once per run of failures; the detector counts audio as silence meanwhile, so an open turn still ends.
            BackendFailure kind = BackendFailure.Of(failure);
            Observability.EngineMetrics.BackendFailed("vad");
            SendError(new ClientEventError(kind.Code, $"The vad backend failed ({kind.Code}): {failure.Message}. Audio counts as silence until it answers again.", null, "server_error"), null);
        }
    }

    private void OnSpeechStarted(long audioStartMs)
    {
        Turn.SpeechItemId = RealtimeIds.NewItem();
        Turn.SpeechStartMs = audioStartMs;
        Turn.IdleSinceMs = null;
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioBufferSpeechStarted);
        json.WriteNumber("audio_start_ms"u8, audioStartMs);
        json.WriteString("item_id"u8, Turn.SpeechItemId);
        Send(json);
        _events?.OnSpeechStarted(Turn.SpeechItemId, audioStartMs);
        Turn.PartialTailLength = 0;
        UpdateSemanticHoldOff();
        OpenLiveRecognition(Turn.SpeechItemId, audioStartMs);
        if (_config.TurnDetection is { InterruptResponse: true } && _defaultRun is { } run)
        {
            Cancel(run, "turn_detected");
            // The client stops playing: no more echo to guard against.
            Turn.PlaybackRun = null;
        }
    }

    /// <summary>
    /// Echo guard window on the input audio clock: from the first input append after the default response's first
    /// audio delta until its audio length (as sent so far) has elapsed, plus EchoHoldOffMs. 0 when nothing plays.
    /// </summary>
    private long EchoGuardUntilMs()
    {
        if (_defaultRun is { } run)
        {
            NotePlayback(run);
        }

        return Turn.PlaybackRun is { } playing ? Turn.PlaybackStartMs + OutputAudioMs(playing) + _options.EchoHoldOffMs : 0;
    }

    /// <summary>Starts the playback clock of a response's audio the first time it is seen with audio.</summary>
    private void NotePlayback(ResponseRun run)
    {
        if (run != Turn.PlaybackRun && OutputAudioMs(run) > 0)
        {
            // The client queues this audio behind any it is still playing from the previous response.
            long previousEnd = Turn.PlaybackRun is { } previous ? Turn.PlaybackStartMs + OutputAudioMs(previous) : 0;
            Turn.PlaybackRun = run;
            Turn.PlaybackStartMs = Math.Max(AudioClockMs, previousEnd);
        }
    }

    private static long OutputAudioMs(ResponseRun run)
    {
        long ms = 0;
        foreach (ConversationItem item in run.Output)
        {
            foreach (ContentPart part in item.Content)
            {
                if (part.Kind == ContentKind.OutputAudio)
                {
                    ms += part.AudioLength / Math.Max(1, part.AudioBytesPerMs);
                }
            }
        }

        return ms;
    }

    /// <summary>semantic_vad: adds a live recognition delta of the turn in progress and re-decides its hold-off.</summary>
    private void OnPartialTranscript(string? delta)
    {
        if (Turn.SemanticEagerness is null || string.IsNullOrEmpty(delta))
        {
            return;
        }

        // Only the end of the text matters; keep its last 64 characters.
        ReadOnlySpan<char> text = delta.AsSpan();
        Turn.PartialTail ??= new char[64];
        int keep = Math.Min(Turn.PartialTailLength, Turn.PartialTail.Length - Math.Min(text.Length, Turn.PartialTail.Length));
        Turn.PartialTail.AsSpan(Turn.PartialTailLength - keep, keep).CopyTo(Turn.PartialTail);
        text = text[Math.Max(0, text.Length - (Turn.PartialTail.Length - keep))..];
        text.CopyTo(Turn.PartialTail.AsSpan(keep));
        Turn.PartialTailLength = keep + text.Length;
        UpdateSemanticHoldOff();
    }

    private void UpdateSemanticHoldOff()
    {
        if (Turn.Detector is not null)
        {
            Turn.Detector.EndOfTurnSilenceMs = Turn.SemanticEagerness is { } eagerness
                ? SemanticTurnPolicy.HoldOffMs(Turn.PartialTail.AsSpan(0, Turn.PartialTailLength), eagerness)
                : -1;
        }
    }

    private void OnSpeechStopped(long audioEndMs)
    {
        string itemId = Turn.SpeechItemId ?? RealtimeIds.NewItem();
        Turn.SpeechItemId = null;
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioBufferSpeechStopped);
        json.WriteNumber("audio_end_ms"u8, audioEndMs);
        json.WriteString("item_id"u8, itemId);
        Send(json);
        _events?.OnSpeechStopped(itemId, audioEndMs);

        // The turn spans audio_start_ms..audio_end_ms: drop what came before it, commit up to its end.
        int bytesPerMs = InputBytesPerMs;
        int skip = (int)Math.Clamp((Turn.SpeechStartMs - Turn.BufferStartMs) * bytesPerMs, 0, _input.Length);
        _input.Consume(skip);
        Turn.BufferStartMs += skip / bytesPerMs;
        int take = (int)Math.Clamp((audioEndMs - Turn.BufferStartMs) * bytesPerMs, 0, _input.Length);
        CommitAudio(itemId, take);
        if (_config.TurnDetection is { CreateResponse: true } && _defaultRun is null && !_config.IsTranscription)
        {
            StartResponse(ResponseParser.Parse(default, _config, _dialect, _conversation));
        }
    }

    private void CheckIdleTimeout()
    {
        if (Turn.IdleSinceMs is not long since || _config.TurnDetection is not { Semantic: false, IdleTimeoutMs: int idle } || Turn.Detector!.InSpeech || _defaultRun is not null)
        {
            return;
        }

        long now = AudioClockMs;
        if (now - since < idle)
        {
            return;
        }

        Turn.IdleSinceMs = null;
        string itemId = RealtimeIds.NewItem();
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioBufferTimeoutTriggered);
        json.WriteNumber("audio_start_ms"u8, Turn.BufferStartMs);
        json.WriteNumber("audio_end_ms"u8, now);
        json.WriteString("item_id"u8, itemId);
        Send(json);
        CommitAudio(itemId, _input.Length);
        StartResponse(ResponseParser.Parse(default, _config, _dialect, _conversation));
    }

    /// <summary>Arms the idle timeout once a default response is done (playback time of its audio included).</summary>
    private void ArmIdleTimeout(ResponseRun run)
    {
        // A response that finished between two appends still plays: its echo is guarded from here.
        NotePlayback(run);
        long playbackMs = 0;
        foreach (ConversationItem item in run.Output)
        {
            foreach (ContentPart part in item.Content)
            {
                playbackMs += part.AudioLength / Math.Max(1, part.AudioBytesPerMs);
            }
        }

        Turn.IdleSinceMs = AudioClockMs + playbackMs;
    }

    private void ClearInput()
    {
        AbandonLiveRecognition();
        _input.Clear();
        Turn.Detector?.CancelSpeech();
        Turn.SpeechItemId = null;
        Turn.BufferStartMs = AudioClockMs;
    }

    /// <summary>Turns the first <paramref name="bytes"/> of the input buffer into a committed user audio item.</summary>
    private void CommitAudio(string itemId, int bytes)
    {
        int bytesPerMs = InputBytesPerMs;
        var part = new ContentPart { Kind = ContentKind.InputAudio, AudioBytesPerMs = bytesPerMs };
        part.AppendAudio(_input.Span[..bytes]);
        _input.Consume(bytes);
        Turn.BufferStartMs += bytes / bytesPerMs;
        var item = new ConversationItem { Id = itemId, Type = ItemType.Message, Role = ItemRole.User };
        item.Content.Add(part);
        string? previous = _conversation.Insert(item, null);
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioBufferCommitted);
        json.WriteString("previous_item_id"u8, previous);
        json.WriteString("item_id"u8, item.Id);
        Send(json);
        SendItemAddedAndDone(item, previous);
        if (Turn.LiveRecognition is { } live && Turn.LiveRecognitionItemId == itemId)
        {
            Turn.LiveRecognition = null;
            Turn.LiveRecognitionItemId = null;
            (_pendingTranscripts ??= new(StringComparer.Ordinal)).Add(itemId);
            live.Complete();
        }
        else
        {
            AbandonLiveRecognition();
            StartTranscription(item, part);
        }
    }

    /// <summary>
    /// Starts recognizing the turn that just began: the buffered audio from audio_start_ms (prefix padding and
    /// the current chunk) goes in now, later chunks as they arrive, so the transcript is ready when speech ends.
    /// </summary>
    private void OpenLiveRecognition(string itemId, long audioStartMs)
    {
        AbandonLiveRecognition();
        if (_engines.Transcription is not { } recognizer)
        {
            return;
        }

        TranscriptionConfig? options = _config.Transcription;
        ISpeechRecognitionStream stream = recognizer.Open(new RecognitionOptions(options?.Model, options?.Language, options?.Prompt), ClosingToken);
        int skip = (int)Math.Clamp((audioStartMs - Turn.BufferStartMs) * InputBytesPerMs, 0, _input.Length);
        ReadOnlySpan<byte> backlog = _input.Span[skip..];
        float[] samples = BufferPool<float>.Rent(Math.Max(1, InputAudioConverter.MaxOutputSamples(backlog.Length, _config.InputFormat)));
        int count = new InputAudioConverter(_config.InputFormat).Convert(backlog, samples);
        stream.Write(samples.AsSpan(0, count));
        BufferPool<float>.Return(samples);
        Turn.LiveRecognition = stream;
        Turn.LiveRecognitionItemId = itemId;
        _ = ReadTranscriptAsync(stream, itemId);
    }

    /// <summary>Speech that never became a turn (cleared, or replaced by a new speech start): stop decoding it.</summary>
    private void AbandonLiveRecognition()
    {
        if (Turn.LiveRecognition is { } stream)
        {
            Turn.LiveRecognition = null;
            Turn.LiveRecognitionItemId = null;
            _ = stream.DisposeAsync().AsTask();
        }
    }

    /// <summary>
    /// Transcribes a committed turn that had no live recognition (manual commit, idle timeout). Runs whenever the
    /// profile has a recognizer: the model needs the words even when the client did not ask for transcription events.
    /// </summary>
    private void StartTranscription(ConversationItem item, ContentPart part)
    {
        if (_engines.Transcription is not { } recognizer)
        {
            return;
        }

        // Decoding the committed audio to 16 kHz happens here (loop), recognition off the loop.
        TranscriptionConfig? options = _config.Transcription;
        var converter = new InputAudioConverter(_config.InputFormat);
        float[] samples = new float[InputAudioConverter.MaxOutputSamples(part.AudioLength, _config.InputFormat)];
        int count = converter.Convert(part.Audio.AsSpan(0, part.AudioLength), samples);
        ISpeechRecognitionStream stream = recognizer.Open(new RecognitionOptions(options?.Model, options?.Language, options?.Prompt), ClosingToken);
        (_pendingTranscripts ??= new(StringComparer.Ordinal)).Add(item.Id);
        stream.Write(samples.AsSpan(0, count));
        stream.Complete();
        _ = ReadTranscriptAsync(stream, item.Id);
    }

    /// <summary>Posts the stream's deltas and final text to the inbox; owns and disposes the stream.</summary>
    private async Task ReadTranscriptAsync(ISpeechRecognitionStream stream, string itemId)
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            bool final = false;
            await using (stream.ConfigureAwait(false))
            {
                await foreach (TranscriptUpdate update in stream.ReadAsync(CancellationToken.None).ConfigureAwait(false))
                {
                    final |= update.IsFinal;
                    // Handled on this thread when the loop is idle: a response may be waiting for this text.
                    _inbox.TryWriteAndDrain(new SessionMessage(SessionMessageKind.Transcript, ItemId: itemId, Text: update.Text, Final: update.IsFinal, At: update.IsFinal ? System.Diagnostics.Stopwatch.GetTimestamp() : 0));
                }
            }

            Observability.EngineMetrics.BackendCompleted("transcription", started);
            if (!final)
            {
                // A response may be waiting for this text: never leave it waiting.
                _inbox.TryWrite(new SessionMessage(SessionMessageKind.TranscriptFailed, ItemId: itemId, Error: null));
            }
        }
        catch (OperationCanceledException)
        {
            // Abandoned speech: nothing to report.
            _inbox.TryWrite(new SessionMessage(SessionMessageKind.TranscriptFailed, ItemId: itemId, Error: null));
        }
        catch (Exception e)
        {
            Observability.EngineMetrics.BackendFailed("transcription");
            _inbox.TryWrite(new SessionMessage(SessionMessageKind.TranscriptFailed, ItemId: itemId, Error: e));
        }
    }

    private void OnTranscript(in SessionMessage message)
    {
        if (message.Kind == SessionMessageKind.Transcript && !message.Final && message.ItemId == Turn.LiveRecognitionItemId && Turn.SpeechItemId == message.ItemId)
        {
            OnPartialTranscript(message.Text);
        }

        ConversationItem? item = _conversation.Find(message.ItemId!);
        bool final = message.Final || message.Kind == SessionMessageKind.TranscriptFailed;
        if (final && _pendingTranscripts is not null && _pendingTranscripts.Remove(message.ItemId!))
        {
            if (message.Kind == SessionMessageKind.Transcript && item is not null && item.Content.Count > 0)
            {
                item.Content[0].HeardText = message.Text;
            }

            _events?.OnUserTranscript(message.ItemId!, message.Kind == SessionMessageKind.Transcript ? message.Text : null);
            if (message.Kind == SessionMessageKind.TranscriptFailed && message.Error is { } error)
            {
                // The model only hears words: a response waiting for this turn's transcript cannot answer it.
                // The transcription.failed event (when asked for) comes first, then the response's failure.
                SendTranscriptionFailed(message, item);
                if (_deferredRuns is not { Count: > 0 })
                {
                    // Failed before any response asked for it (a fast failure can overtake the response.create sent
                    // right after the commit): the next response meets it instead.
                    _unheardTurn = (message.ItemId!, error);
                }

                FailDeferredResponses(error);
                return;
            }

            StartDeferredResponses(message.At);
        }

        if (message.Kind == SessionMessageKind.TranscriptFailed)
        {
            SendTranscriptionFailed(message, item);
            return;
        }

        if (_config.Transcription is null)
        {
            return;
        }

        if (!message.Final)
        {
            Utf8JsonWriter delta = _writer.Begin(ServerEventType.InputAudioTranscriptionDelta);
            delta.WriteString("item_id"u8, message.ItemId);
            delta.WriteNumber("content_index"u8, 0);
            delta.WriteString("delta"u8, message.Text);
            Send(delta);
            return;
        }

        long audioMs = 0;
        if (item is not null && item.Content.Count > 0)
        {
            ContentPart part = item.Content[0];
            part.Transcript = message.Text;
            audioMs = part.AudioLength / Math.Max(1, part.AudioBytesPerMs);
        }

        // Usage as the hosted service reports it: ~10 audio tokens per second of input.
        int audioTokens = (int)(audioMs / 100);
        int textTokens = ChatHistory.EstimateTokens(message.Text);
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioTranscriptionCompleted);
        json.WriteString("item_id"u8, message.ItemId);
        json.WriteNumber("content_index"u8, 0);
        json.WriteString("transcript"u8, message.Text);
        json.WriteStartObject("usage"u8);
        json.WriteString("type"u8, "tokens"u8);
        json.WriteNumber("total_tokens"u8, audioTokens + textTokens);
        json.WriteNumber("input_tokens"u8, audioTokens);
        json.WriteStartObject("input_token_details"u8);
        json.WriteNumber("text_tokens"u8, 0);
        json.WriteNumber("audio_tokens"u8, audioTokens);
        json.WriteEndObject();
        json.WriteNumber("output_tokens"u8, textTokens);
        json.WriteEndObject();
        Send(json);
    }

    /// <summary>Client-visible only when the session asked for transcription; abandoned speech (no error) reports nothing.</summary>
    private void SendTranscriptionFailed(in SessionMessage message, ConversationItem? item)
    {
        if (_config.Transcription is null || message.Error is null || item is null)
        {
            return;
        }

        Utf8JsonWriter failed = _writer.Begin(ServerEventType.InputAudioTranscriptionFailed);
        failed.WriteString("item_id"u8, message.ItemId);
        failed.WriteNumber("content_index"u8, 0);
        failed.WriteStartObject("error"u8);
        failed.WriteString("type"u8, "server_error"u8);
        failed.WriteString("code"u8, "transcription_failed"u8);
        failed.WriteString("message"u8, message.Error.Message);
        failed.WriteNull("param"u8);
        failed.WriteEndObject();
        Send(failed);
    }
}
