using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends;
using Realtime.Engine.Conversation;
using Realtime.Engine.Responses;
using Realtime.Wire.Buffers;
using Realtime.Wire.Connections;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>
/// One Realtime session per connection. Everything that happens to it (client messages, backend deltas, audio
/// chunks, completions) is queued into a single-reader inbox; the loop that drains it is the only code touching
/// session state, so there are no locks. Output goes through the connection's <see cref="IMessageOutput"/>.
/// </summary>
public sealed partial class RealtimeSession : IWebSocketSession, IInboxConsumer
{
    // Drained by one thread at a time (the reader's for client events, the thread pool's for the rest): see SessionInbox.
    private readonly SessionInbox _inbox;

    private readonly Dialect _dialect;

    // The configuration a client secret was minted with, until the session has opened with it (then let go).
    private JsonElement? _initialSession;
    private readonly IMessageOutput _output;
    private readonly SessionEngines _engines;
    private readonly RealtimeSessionOptions _options;
    private readonly ServerEventWriter _writer;
    // Made at the first client event: a session that only listens (or sits idle) never parses one.
    private ClientEventReader? _reader;
    private ClientEvent? _event;
    private readonly ConversationState _conversation = new();
    private readonly InputAudioBuffer _input;

    // Responses in progress by id; made by the first response.
    private Dictionary<string, ResponseRun>? _runs;

    // Made when the first recognition starts (most sessions never transcribe): an idle session holds no CTS of its own.
    private CancellationTokenSource? _closing;
    private SessionConfig _config;
    private readonly string _id;
    private readonly long _expiresAt;
    private ResponseRun? _defaultRun;
    private bool _audioProduced;
    private long _appendedBytes;
    private long _handled;

    // The last client-text buffer goes back here instead of to the shared pool: a client sends one message at a time,
    // so steady streaming reuses one buffer between the connection thread and the loop, whatever threads they run on.
    private byte[]? _spareText;
    private readonly TimeProvider _time;
    // A timer of its own only on a test clock; on the system clock the session is a node of the shared expiry queue.
    private ITimer? _expiry;
    private readonly ILogger _logger;

    // The configuration sessions started with last time, and what it was made from: one object, so no thread reads
    // half of it (InitialConfig).
    private static InitialConfigEntry? s_lastInitialConfig;

    internal RealtimeSession(RealtimeConnectionInfo info, IMessageOutput output, SessionEngines engines, RealtimeSessionOptions options, TimeProvider time, ILogger logger, ISessionEvents? events = null)
    {
        _logger = logger;
        _events = events;
        _inbox = new SessionInbox(this);
        _dialect = info.Dialect;
        _initialSession = info.InitialSession;
        _time = time;
        _output = output;
        _engines = engines;
        _options = options;
        _writer = new ServerEventWriter(info.Dialect);
        _input = new InputAudioBuffer(options.MaxBufferedAudioBytes);
        _id = info.SessionId ?? RealtimeIds.NewSession();
        _expiresAt = time.GetUtcNow().Add(options.MaxDuration).ToUnixTimeSeconds();
        _config = InitialConfig(info.Model ?? engines.ProfileName, engines, info.TranscriptionIntent);
    }

    /// <summary>
    /// The configuration a session of <paramref name="model"/> starts with. Configurations are replaced, never changed
    /// (see <see cref="SessionConfig"/>), so the sessions of a model share the last one made until their first update:
    /// neither its ~180 bytes nor the echo model's 300-byte description are made per idle session.
    /// </summary>
    private static SessionConfig InitialConfig(string model, SessionEngines engines, bool transcription)
    {
        bool echo = engines.Llm.Name == "builtin:echo";
        InitialConfigEntry? last = Volatile.Read(ref s_lastInitialConfig);
        if (last is not null && last.Model == model && last.Echo == echo && last.Transcription == transcription)
        {
            return last.Config;
        }

        var made = new SessionConfig { IsTranscription = transcription, Model = echo ? DescribeEcho(model) : model };
        Volatile.Write(ref s_lastInitialConfig, new InitialConfigEntry(model, echo, transcription, made));
        return made;
    }

    /// <summary>
    /// The session's `model` as clients see it when the LLM is the built-in echo: a diagnostic, not a language model.
    /// Said where every client and log shows it, so nobody mistakes its answers for a model's.
    /// </summary>
    private static string DescribeEcho(string model) =>
        $"{model} (builtin:echo diagnostic responder: answers with what it heard; configure Realtime:Models:<name>:Llm for a real LLM)";

    private sealed record InitialConfigEntry(string Model, bool Echo, bool Transcription, SessionConfig Config);

    /// <summary>The effective session configuration (read by tests and diagnostics; owned by the loop).</summary>
    public SessionConfig Config => _config;

    /// <summary>Messages the loop has finished handling (single writer; lets tests pace input like a real client).</summary>
    internal long HandledMessages => Volatile.Read(ref _handled);

    /// <summary>Completes when the loop has drained everything after the connection closed.</summary>
    public Task Completion => _inbox.Ended;

    public void OnOpen()
    {
        _inbox.CaptureContext();
        // The connection calls this on its own thread before it reads: session.created goes out from here, with no
        // hand-off to a pool thread (one wake-up per session less in the handshake workload).
        _inbox.TryWriteAndDrain(new SessionMessage(SessionMessageKind.Open));
        if (_time == TimeProvider.System)
        {
            SessionExpiryQueue.Shared.Add(this, _options.MaxDuration);
        }
        else
        {
            _expiry = _time.CreateTimer(static state => ((RealtimeSession)state!).OnMaxDurationReached(), this, _options.MaxDuration, Timeout.InfiniteTimeSpan);
        }
    }

    // Guarded by SessionExpiryQueue's lock: this session's place in the shared expiry queue.
    internal RealtimeSession? ExpiryPrevious { get; set; }

    internal RealtimeSession? ExpiryNext { get; set; }

    internal long ExpiryDue { get; set; }

    internal bool ExpiryQueued { get; set; }

    /// <summary>The session has lived <see cref="RealtimeSessionOptions.MaxDuration"/>: the loop tells the client and closes.</summary>
    internal void OnMaxDurationReached() => _inbox.TryWrite(new SessionMessage(SessionMessageKind.Expired));

    public void OnText(ReadOnlySequence<byte> message)
    {
        // The payload is only valid during this call: copy it once into a pooled buffer the loop parses and returns.
        int length = checked((int)message.Length);
        byte[]? buffer = Interlocked.Exchange(ref _spareText, null);
        if (buffer is null || buffer.Length < length)
        {
            if (buffer is not null)
            {
                BufferPool<byte>.Return(buffer);
            }

            buffer = BufferPool<byte>.Rent(Math.Max(1, length));
        }

        message.CopyTo(buffer);
        // Handled here and now when the loop is idle (the usual case): no hop to another thread per client event.
        if (!_inbox.TryWriteAndDrain(new SessionMessage(SessionMessageKind.ClientText, buffer, length)))
        {
            BufferPool<byte>.Return(buffer);
        }
    }

    public void OnBinary(ReadOnlySequence<byte> message) =>
        _inbox.TryWriteAndDrain(new SessionMessage(SessionMessageKind.ClientBinary));

    public void OnClosed(CloseReason reason) =>
        _inbox.WriteLastAndDrain(new SessionMessage(SessionMessageKind.Closed));

    public async ValueTask DisposeAsync()
    {
        _inbox.TryComplete();
        await _inbox.Ended.ConfigureAwait(false);
    }

    void IInboxConsumer.Handle(in SessionMessage message) => Handle(message);

    ValueTask? IInboxConsumer.PendingWait => PendingTurnDetection;

    void IInboxConsumer.CompleteWait(Exception? failure) => CompleteTurnDetection(failure);

    void IInboxConsumer.HandleDuringWait(in SessionMessage message)
    {
        Handle(message);
        // Handle counts a message only when no turn detection is pending, and one is: count this one here.
        Volatile.Write(ref _handled, _handled + 1);
    }

    void IInboxConsumer.OnDrained()
    {
        // Events are queued without waking the connection's writer: the burst goes out in one write, from this thread.
        _output.Flush();
        // Every payload was copied to the connection by now; an idle session keeps no event buffer.
        _writer.ReleaseBuffer();
    }

    void IInboxConsumer.OnEnded()
    {
        foreach (ResponseRun run in _runs?.Values ?? EmptyRuns)
        {
            run.Cancellation.Cancel();
        }

        _closing?.Cancel();
        _closing?.Dispose();
        _expiry?.Dispose();
        SessionExpiryQueue.Shared.Remove(this);
        if (Interlocked.Exchange(ref _spareText, null) is { } spare)
        {
            BufferPool<byte>.Return(spare);
        }

        _turn?.Detector?.Dispose();
        if (_turn is { Samples16k.Length: > 0 })
        {
            BufferPool<float>.Return(_turn.Samples16k);
        }

        _event?.Dispose();
        _reader?.Dispose();
        _writer.Dispose();
        _input.Dispose();
    }

    private void Handle(in SessionMessage message)
    {
        try
        {
            switch (message.Kind)
            {
                case SessionMessageKind.Open:
                    ApplyInitialSession();
                    SendSessionCreated();
                    break;
                case SessionMessageKind.ClientText:
                    HandleClientText(message.Buffer!, message.Length);
                    break;
                case SessionMessageKind.ClientBinary:
                    SendError(new ClientEventError("invalid_event", "Expected a text WebSocket message; binary frames are not supported.", null), null);
                    break;
                case SessionMessageKind.Closed:
                    foreach (ResponseRun run in _runs?.Values ?? EmptyRuns)
                    {
                        run.Cancellation.Cancel();
                    }

                    break;
                case SessionMessageKind.Expired:
                    string text = $"Your session hit the maximum duration of {_options.MaxDuration.TotalMinutes:0} minutes.";
                    SendError(new ClientEventError("session_expired", text, null), null);
                    _output.Close(1001, text);
                    break;
                case SessionMessageKind.ChatDelta:
                    OnChatDelta(message.Run!, message.Delta);
                    break;
                case SessionMessageKind.Audio:
                    OnAudio(message.Run!, message.Buffer.AsSpan(0, message.Length));
                    break;
                case SessionMessageKind.ResponseFinished:
                    OnFinished(message.Run!);
                    break;
                case SessionMessageKind.Transcript:
                case SessionMessageKind.TranscriptFailed:
                    OnTranscript(message);
                    break;
                case SessionMessageKind.ResponseFailed:
                    OnFailed(message.Run!, message.Error!, message.Stage ?? "llm");
                    break;
                case SessionMessageKind.PortAudio:
                    AppendInput(message.Buffer.AsSpan(0, message.Length), null);
                    break;
                case SessionMessageKind.PortCommand:
                    RunCommand(message.Command!);
                    break;
            }
        }
        catch (Exception e)
        {
            // A bug in handling one message must not end the session: report it and keep serving.
            SendError(new ClientEventError("server_error", "The server had an error while processing your request: " + e.Message, null, "server_error"), null);
        }
        finally
        {
            if (message.Kind == SessionMessageKind.ClientText && message.Buffer!.Length <= 64 * 1024)
            {
                byte[]? previous = Interlocked.Exchange(ref _spareText, message.Buffer);
                if (previous is not null)
                {
                    BufferPool<byte>.Return(previous);
                }
            }
            else if (message.Buffer is not null)
            {
                BufferPool<byte>.Return(message.Buffer);
            }

            if (PendingTurnDetection is null)
            {
                Volatile.Write(ref _handled, _handled + 1);
            }
        }
    }

    private void HandleClientText(byte[] buffer, int length)
    {
        _reader ??= new ClientEventReader(_dialect, _options.MaxAppendBytes);
        ClientEvent clientEvent = _event ??= new ClientEvent();
        if (!_reader.TryRead(new ReadOnlySequence<byte>(buffer, 0, length), clientEvent, out ClientEventError? error))
        {
            SendError(error!, clientEvent.EventId);
            return;
        }

        if (clientEvent.Type == ClientEventType.InputAudioBufferAppend)
        {
            AppendInput(clientEvent.Audio, clientEvent.EventId);
            return;
        }

        try
        {
            Dispatch(clientEvent);
        }
        catch (RequestException e)
        {
            SendError(e.Error, clientEvent.EventId);
        }
    }

    /// <summary>Input audio from an append event or a transport port. Hot path: no strings, no allocation.</summary>
    private void AppendInput(ReadOnlySpan<byte> audio, string? eventId)
    {
        if (!ConversationHasRoom(1, (long)_input.Length + audio.Length))
        {
            // Audio goes into the conversation when committed (by VAD or the client): refuse it while there is no
            // room, so a full conversation never grows and the session goes on.
            SendError(ConversationRoomError(1, (long)_input.Length + audio.Length)!, eventId);
            return;
        }

        if (!_input.TryAppend(audio))
        {
            SendError(ClientEventError.InvalidValue("audio", $"Input audio buffer is full: at most {_options.MaxBufferedAudioBytes} bytes may be buffered before a commit or clear."), eventId);
            return;
        }

        _appendedBytes += audio.Length;
        OnInputAudio(audio);
    }

    private void Dispatch(ClientEvent e)
    {
        switch (e.Type)
        {
            case ClientEventType.SessionUpdate:
            case ClientEventType.TranscriptionSessionUpdate:
                UpdateSession(e);
                break;
            case ClientEventType.SessionClose:
                _output.Close(1000, "session.close");
                break;
            case ClientEventType.InputAudioBufferCommit:
                CommitInput();
                break;
            case ClientEventType.InputAudioBufferClear:
                ClearInput();
                Send(_writer.Begin(ServerEventType.InputAudioBufferCleared));
                break;
            case ClientEventType.ConversationItemCreate:
                CreateItem(e);
                break;
            case ClientEventType.ConversationItemRetrieve:
                RetrieveItem(e.ItemId!);
                break;
            case ClientEventType.ConversationItemDelete:
                DeleteItem(e.ItemId!);
                break;
            case ClientEventType.ConversationItemTruncate:
                TruncateItem(e.ItemId!, e.ContentIndex!.Value, e.AudioEndMs!.Value);
                break;
            case ClientEventType.ResponseCreate:
                CreateResponse(e.Response);
                break;
            case ClientEventType.ResponseCancel:
                CancelResponse(e.ResponseId);
                break;
        }
    }

    private void SendSessionCreated()
    {
        Utf8JsonWriter json = _writer.Begin(ServerEventType.SessionCreated);
        SessionWriter.Write(json, _config, _dialect, _id, _expiresAt);
        Send(json);
        if (_dialect == Dialect.Beta)
        {
            json = _writer.Begin(ServerEventType.ConversationCreated);
            json.WriteStartObject("conversation"u8);
            json.WriteString("id"u8, _conversation.Id);
            json.WriteString("object"u8, "realtime.conversation"u8);
            json.WriteEndObject();
            Send(json);
        }
    }

    /// <summary>The configuration a client secret was minted with; validated when it was minted.</summary>
    private void ApplyInitialSession()
    {
        if (_initialSession is { } session)
        {
            _initialSession = null;
            _config = SessionConfigParser.Apply(_config, session, _dialect, transcriptionUpdate: false, audioProduced: false);
            ApplyTurnDetection();
        }
    }

    private void UpdateSession(ClientEvent e)
    {
        bool transcriptionUpdate = e.Type == ClientEventType.TranscriptionSessionUpdate;
        _config = SessionConfigParser.Apply(_config, e.Session, _dialect, transcriptionUpdate, _audioProduced);
        ApplyTurnDetection();
        bool transcriptionReply = _dialect == Dialect.Beta && (transcriptionUpdate || _config.IsTranscription);
        Utf8JsonWriter json = _writer.Begin(transcriptionReply ? ServerEventType.TranscriptionSessionUpdated : ServerEventType.SessionUpdated);
        SessionWriter.Write(json, _config, _dialect, _id, _expiresAt);
        Send(json);
    }

    private void CommitInput()
    {
        int bytesPerMs = InputBytesPerMs;
        double ms = (double)_input.Length / bytesPerMs;
        if (ms < 100)
        {
            throw new RequestException(new ClientEventError(
                "input_audio_buffer_commit_empty",
                $"Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has {ms.ToString("0.00", CultureInfo.InvariantCulture)}ms of audio.",
                null));
        }

        if (ConversationRoomError(1, _input.Length) is { } full)
        {
            // The buffer is kept: the client may delete items and commit again, or clear it.
            throw new RequestException(full);
        }

        string itemId = _turn?.SpeechItemId ?? RealtimeIds.NewItem();
        if (_turn is { } turn)
        {
            turn.Detector?.CancelSpeech();
            turn.SpeechItemId = null;
        }

        CommitAudio(itemId, _input.Length);
    }

    private void Send(Utf8JsonWriter json) => _output.QueueText(_writer.End());

    private void SendError(ClientEventError error, string? eventId)
    {
        Utf8JsonWriter json = _writer.Begin(ServerEventType.Error);
        json.WriteStartObject("error"u8);
        json.WriteString("type"u8, error.Type);
        json.WriteString("code"u8, error.Code);
        json.WriteString("message"u8, error.Message);
        json.WriteString("param"u8, error.Param);
        json.WriteString("event_id"u8, eventId);
        json.WriteEndObject();
        Send(json);
        _events?.OnError(error.Code, error.Message);
    }
}
