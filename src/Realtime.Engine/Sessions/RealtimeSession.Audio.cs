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
    private List<TurnEvent>? _turnEvents;
    private TurnDetector? _turns;
    private InputAudioConverter? _converter;
    private float[] _samples16k = [];
    private string? _speechItemId;
    private long _speechStartMs;

    /// <summary>Recognition of the turn in progress: opened at speech start so decoding runs while the user speaks.</summary>
    private ISpeechRecognitionStream? _liveRecognition;
    private string? _liveRecognitionItemId;

    /// <summary>User items whose transcript is still being decoded; a response that needs their text waits for it.</summary>
    /// <summary>Cancelled when the loop ends: recognitions still running for a closed session stop their backend calls.</summary>
    private CancellationToken ClosingToken => (_closing ??= new CancellationTokenSource()).Token;

    // Made at the first committed turn with a recognizer: an idle session holds no set.
    private HashSet<string>? _pendingTranscripts;

    /// <summary>semantic_vad: eagerness, and the tail of the turn's partial transcript that decides the hold-off.</summary>
    private TurnEagerness? _semanticEagerness;
    // Made at the first partial transcript of a semantic_vad turn: other sessions never need it.
    private char[]? _partialTail;
    private int _partialTailLength;

    /// <summary>The response whose audio the user may be hearing, and the audio time its playback started.</summary>
    private ResponseRun? _playbackRun;
    private long _playbackStartMs;

    /// <summary>Audio time (ms since the first appended sample) at which the input buffer's first byte was appended.</summary>
    private long _bufferStartMs;

    /// <summary>Audio time from which the idle timeout counts (after a response finished); null when not armed.</summary>
    private long? _idleSinceMs;

    private int InputBytesPerMs => _config.InputFormat.BytesPerMillisecond();

    private long AudioClockMs => _appendedBytes / InputBytesPerMs;

    /// <summary>(Re)creates or drops the turn detector after the session's turn detection changed.</summary>
    private void ApplyTurnDetection()
    {
        TurnDetectionConfig? config = _config.TurnDetection;
        if (config is null || _engines.Vad is null)
        {
            _turns?.Dispose();
            _turns = null;
            _speechItemId = null;
            return;
        }

        // semantic_vad: Silero speech segments; the silence that ends the turn comes from SemanticTurnPolicy
        // (partial transcript + eagerness) and is updated as live recognition deltas arrive.
        _semanticEagerness = config.Semantic ? SemanticTurnPolicy.ParseEagerness(config.Eagerness) : null;
        TurnDetectionSettings settings = config.Semantic
            ? new TurnDetectionSettings(0.5f, 300, SemanticTurnPolicy.HoldOffMs(default, _semanticEagerness!.Value))
            : new TurnDetectionSettings((float)config.Threshold, config.PrefixPaddingMs, config.SilenceDurationMs);
        if (_turns is null)
        {
            _turns = new TurnDetector(_engines.Vad, settings);
        }
        else
        {
            _turns.Settings = settings;
        }

        UpdateSemanticHoldOff();

        if (_converter is null || _converter.Format != _config.InputFormat)
        {
            _converter = new InputAudioConverter(_config.InputFormat);
        }
    }

    private void OnInputAudio(ReadOnlySpan<byte> audio)
    {
        if (_turns is null && _config.TurnDetection is not null && _engines.Vad is not null)
        {
            ApplyTurnDetection();
        }

        if (_turns is null || _converter is null)
        {
            return;
        }

        int needed = InputAudioConverter.MaxOutputSamples(audio.Length, _converter.Format);
        if (_samples16k.Length < needed)
        {
            if (_samples16k.Length > 0)
            {
                BufferPool<float>.Return(_samples16k);
            }

            _samples16k = BufferPool<float>.Rent(needed);
        }

        int count = _converter.Convert(audio, _samples16k);
        // A stream opened at an earlier speech start gets this chunk; one opened below reads it from the buffer.
        _liveRecognition?.Write(_samples16k.AsSpan(0, count));
        // Made by the first append: a session that never sends audio holds no list.
        List<TurnEvent> turnEvents = _turnEvents ??= [];
        turnEvents.Clear();
        _turns.EchoGuardUntilMs = EchoGuardUntilMs();
        // Silero frames of sessions speaking at once are inferred as one batch: the detection may complete later.
        // The loop then awaits it before the next message (PendingTurnDetection), so events keep their order.
        ValueTask detection = _turns.ProcessAsync(_samples16k.AsMemory(0, count), turnEvents);
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
    /// <see cref="OnTurnEvents"/> before handling anything else. <see cref="_samples16k"/> stays untouched meanwhile.
    /// </summary>
    private ValueTask? PendingTurnDetection { get; set; }

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
        foreach (TurnEvent turn in _turnEvents!)
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
        if (_turns?.TakeDetectorFailure() is { } failure)
        {
            // Once per run of failures; the detector counts audio as silence meanwhile, so an open turn still ends.
            BackendFailure kind = BackendFailure.Of(failure);
            Observability.EngineMetrics.BackendFailed("vad");
            SendError(new ClientEventError(kind.Code, $"The vad backend failed ({kind.Code}): {failure.Message}. Audio counts as silence until it answers again.", null, "server_error"), null);
        }
    }

    private void OnSpeechStarted(long audioStartMs)
    {
        _speechItemId = RealtimeIds.NewItem();
        _speechStartMs = audioStartMs;
        _idleSinceMs = null;
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioBufferSpeechStarted);
        json.WriteNumber("audio_start_ms"u8, audioStartMs);
        json.WriteString("item_id"u8, _speechItemId);
        Send(json);
        _events?.OnSpeechStarted(_speechItemId, audioStartMs);
        _partialTailLength = 0;
        UpdateSemanticHoldOff();
        OpenLiveRecognition(_speechItemId, audioStartMs);
        if (_config.TurnDetection is { InterruptResponse: true } && _defaultRun is { } run)
        {
            Cancel(run, "turn_detected");
            // The client stops playing: no more echo to guard against.
            _playbackRun = null;
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

        return _playbackRun is { } playing ? _playbackStartMs + OutputAudioMs(playing) + _options.EchoHoldOffMs : 0;
    }

    /// <summary>Starts the playback clock of a response's audio the first time it is seen with audio.</summary>
    private void NotePlayback(ResponseRun run)
    {
        if (run != _playbackRun && OutputAudioMs(run) > 0)
        {
            // The client queues this audio behind any it is still playing from the previous response.
            long previousEnd = _playbackRun is { } previous ? _playbackStartMs + OutputAudioMs(previous) : 0;
            _playbackRun = run;
            _playbackStartMs = Math.Max(AudioClockMs, previousEnd);
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
        if (_semanticEagerness is null || string.IsNullOrEmpty(delta))
        {
            return;
        }

        // Only the end of the text matters; keep its last 64 characters.
        ReadOnlySpan<char> text = delta.AsSpan();
        _partialTail ??= new char[64];
        int keep = Math.Min(_partialTailLength, _partialTail.Length - Math.Min(text.Length, _partialTail.Length));
        _partialTail.AsSpan(_partialTailLength - keep, keep).CopyTo(_partialTail);
        text = text[Math.Max(0, text.Length - (_partialTail.Length - keep))..];
        text.CopyTo(_partialTail.AsSpan(keep));
        _partialTailLength = keep + text.Length;
        UpdateSemanticHoldOff();
    }

    private void UpdateSemanticHoldOff()
    {
        if (_turns is not null)
        {
            _turns.EndOfTurnSilenceMs = _semanticEagerness is { } eagerness
                ? SemanticTurnPolicy.HoldOffMs(_partialTail.AsSpan(0, _partialTailLength), eagerness)
                : -1;
        }
    }

    private void OnSpeechStopped(long audioEndMs)
    {
        string itemId = _speechItemId ?? RealtimeIds.NewItem();
        _speechItemId = null;
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioBufferSpeechStopped);
        json.WriteNumber("audio_end_ms"u8, audioEndMs);
        json.WriteString("item_id"u8, itemId);
        Send(json);
        _events?.OnSpeechStopped(itemId, audioEndMs);

        // The turn spans audio_start_ms..audio_end_ms: drop what came before it, commit up to its end.
        int bytesPerMs = InputBytesPerMs;
        int skip = (int)Math.Clamp((_speechStartMs - _bufferStartMs) * bytesPerMs, 0, _input.Length);
        _input.Consume(skip);
        _bufferStartMs += skip / bytesPerMs;
        int take = (int)Math.Clamp((audioEndMs - _bufferStartMs) * bytesPerMs, 0, _input.Length);
        CommitAudio(itemId, take);
        if (_config.TurnDetection is { CreateResponse: true } && _defaultRun is null && !_config.IsTranscription)
        {
            StartResponse(ResponseParser.Parse(default, _config, _dialect, _conversation));
        }
    }

    private void CheckIdleTimeout()
    {
        if (_idleSinceMs is not long since || _config.TurnDetection is not { Semantic: false, IdleTimeoutMs: int idle } || _turns!.InSpeech || _defaultRun is not null)
        {
            return;
        }

        long now = AudioClockMs;
        if (now - since < idle)
        {
            return;
        }

        _idleSinceMs = null;
        string itemId = RealtimeIds.NewItem();
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioBufferTimeoutTriggered);
        json.WriteNumber("audio_start_ms"u8, _bufferStartMs);
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

        _idleSinceMs = AudioClockMs + playbackMs;
    }

    private void ClearInput()
    {
        AbandonLiveRecognition();
        _input.Clear();
        _turns?.CancelSpeech();
        _speechItemId = null;
        _bufferStartMs = AudioClockMs;
    }

    /// <summary>Turns the first <paramref name="bytes"/> of the input buffer into a committed user audio item.</summary>
    private void CommitAudio(string itemId, int bytes)
    {
        int bytesPerMs = InputBytesPerMs;
        var part = new ContentPart { Kind = ContentKind.InputAudio, AudioBytesPerMs = bytesPerMs };
        part.AppendAudio(_input.Span[..bytes]);
        _input.Consume(bytes);
        _bufferStartMs += bytes / bytesPerMs;
        var item = new ConversationItem { Id = itemId, Type = ItemType.Message, Role = ItemRole.User };
        item.Content.Add(part);
        string? previous = _conversation.Insert(item, null);
        Utf8JsonWriter json = _writer.Begin(ServerEventType.InputAudioBufferCommitted);
        json.WriteString("previous_item_id"u8, previous);
        json.WriteString("item_id"u8, item.Id);
        Send(json);
        SendItemAddedAndDone(item, previous);
        if (_liveRecognition is { } live && _liveRecognitionItemId == itemId)
        {
            _liveRecognition = null;
            _liveRecognitionItemId = null;
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
        int skip = (int)Math.Clamp((audioStartMs - _bufferStartMs) * InputBytesPerMs, 0, _input.Length);
        ReadOnlySpan<byte> backlog = _input.Span[skip..];
        float[] samples = BufferPool<float>.Rent(Math.Max(1, InputAudioConverter.MaxOutputSamples(backlog.Length, _config.InputFormat)));
        int count = new InputAudioConverter(_config.InputFormat).Convert(backlog, samples);
        stream.Write(samples.AsSpan(0, count));
        BufferPool<float>.Return(samples);
        _liveRecognition = stream;
        _liveRecognitionItemId = itemId;
        _ = ReadTranscriptAsync(stream, itemId);
    }

    /// <summary>Speech that never became a turn (cleared, or replaced by a new speech start): stop decoding it.</summary>
    private void AbandonLiveRecognition()
    {
        if (_liveRecognition is { } stream)
        {
            _liveRecognition = null;
            _liveRecognitionItemId = null;
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
        if (message.Kind == SessionMessageKind.Transcript && !message.Final && message.ItemId == _liveRecognitionItemId && _speechItemId == message.ItemId)
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
