using System.Buffers;
using System.Buffers.Text;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Realtime.Engine.Responses;
using Realtime.Engine.Sessions;
using Realtime.Host.ClientSecrets;
using Realtime.Host.Observability;
using Realtime.Host.Operations;
using Realtime.Wire.Audio;
using Realtime.Wire.Buffers;
using Realtime.Wire.Connections;
using Realtime.Wire.Events;
using Realtime.Wire.Frames;

namespace Realtime.Host.Telephony;

/// <summary>
/// One phone call: speaks Twilio Media Streams on the WebSocket and drives a Realtime session through its typed seam
/// (<see cref="RealtimeSession.AppendAudio"/> and friends in, <see cref="ISessionEvents"/> out). µ-law passes straight
/// through: the caller's 20 ms frames are the session's input audio, the session's G.711 output is cut into 20 ms
/// frames with a `mark` after each piece, and the marks Twilio echoes tell what the caller has actually heard — the
/// point a barge-in truncates the assistant's item at.
/// </summary>
internal sealed partial class TwilioCall : IWebSocketSession, ISessionEvents
{
    public const string EndCallTool = "end_call";

    /// <summary>20 ms of 8 kHz µ-law: what Twilio sends and what we send back.</summary>
    private const int FrameBytes = 160;

    private const int BytesPerMs = 8;

    private static readonly Func<ILogger, string, string, string, IDisposable?> CallScope =
        LoggerMessage.DefineScope<string, string, string>("Call {CallSid} session {SessionId} on connection {ConnectionId}");

    private static readonly Func<ILogger, string, IDisposable?> ConnectionScope =
        LoggerMessage.DefineScope<string>("Connection {ConnectionId}");

    private readonly TwilioCallServices _services;
    private readonly WebSocketConnection _connection;
    private readonly ILogger _logger;
    private readonly string _connectionId;
    private readonly string? _presentedKey;
    private readonly string? _queryModel;

    // Read loop only: the inbound message copy and its decoded audio.
    private byte[] _message = BufferPool<byte>.Rent(1024);
    private readonly byte[] _audio = new byte[8 * 1024];
    private readonly byte[] _markName = new byte[128];

    // Outbound messages from any thread (session loop, read loop, timers, tool tasks) go through one writer.
    private readonly Lock _sendGate = new();
    private readonly ArrayBufferWriter<byte> _json = new(1024);
    private readonly Utf8JsonWriter _writer;

    // Playback state, guarded by _gate: marks sent and not yet echoed, what was heard, the item being sent.
    private readonly Lock _gate = new();
    private readonly Queue<SentMark> _marks = new();
    private readonly HashSet<string> _cutItems = new(StringComparer.Ordinal);
    private readonly byte[] _carry = new byte[FrameBytes];
    private readonly StringBuilder _digits = new();
    private string? _playedItemId;
    private long _playedMs;
    private string? _sendingItemId;
    private int _carryLength;
    private long _sentItemBytes;
    private EndCallState _endCall;

    // Session loop only: function calls of the response in progress.
    private readonly List<PendingCall> _calls = [];

    private RealtimeSession? _session;
    private MeteredOutput? _metered;
    private OpenSession? _admission;
    private ITimer? _startTimer;
    private ITimer? _dtmfTimer;
    private ITimer? _hangUpTimer;
    private string? _streamSid;
    private string? _callSid;
    private string? _sessionId;
    private long _startedAt;
    private long _inboundBytes;
    private long _speechStoppedAt;
    private long _speechTailMs;
    private int _turns;
    private int _bargeIns;
    private int _toolCalls;
    private bool _started;
    private bool _warnedMalformed;

    /// <summary>Why the call is ending, when this side ends it (stop, end_call); logged when it has.</summary>
    private string? _ending;
    private readonly CancellationTokenSource _ended = new();

    public TwilioCall(TwilioCallServices services, WebSocketConnection connection, string connectionId, string? presentedKey, string? queryModel)
    {
        _services = services;
        _connection = connection;
        _logger = services.Logger;
        _connectionId = connectionId;
        _presentedKey = presentedKey;
        _queryModel = queryModel;
        _writer = new Utf8JsonWriter(_json);
    }

    private enum EndCallState { None, AwaitingGoodbye, Closing }

    /// <summary>A mark sent after a piece of an item's audio: the item's audio up to <see cref="EndMs"/> has been heard once it echoes.</summary>
    private readonly record struct SentMark(string ItemId, long EndMs, bool Last);

    private readonly record struct PendingCall(string CallId, string Name, string Arguments);

    /// <summary>The measured delay of the last answered turn (tests and the README read it from the log too).</summary>
    public TimeSpan? LastFirstMediaLatency { get; private set; }

    public void OnOpen()
    {
        _startTimer = _services.Time.CreateTimer(static state => ((TwilioCall)state!).OnStartTimeout(), this, _services.Options.StartTimeout, Timeout.InfiniteTimeSpan);
    }

    public void OnText(ReadOnlySequence<byte> message)
    {
        int length = checked((int)message.Length);
        if (_message.Length < length)
        {
            BufferPool<byte>.Return(_message);
            _message = BufferPool<byte>.Rent(length);
        }

        message.CopyTo(_message);
        ReadOnlySpan<byte> json = _message.AsSpan(0, length);
        try
        {
            TwilioEvent kind = TwilioInbound.ReadEvent(json);
            switch (kind)
            {
                case TwilioEvent.Media:
                    OnMedia(json);
                    return;
                case TwilioEvent.Mark:
                    OnMark(json);
                    return;
            }

            using IDisposable? scope = BeginScope();
            switch (kind)
            {
                case TwilioEvent.Connected:
                    _logger.LogDebug("Twilio stream connected");
                    break;
                case TwilioEvent.Start:
                    OnStart(json);
                    break;
                case TwilioEvent.Dtmf:
                    OnDtmf(json);
                    break;
                case TwilioEvent.Stop:
                    _ending ??= "stop: the caller hung up or the call moved on";
                    _connection.Close(CloseStatus.Normal, "stream stopped");
                    break;
                default:
                    _logger.LogDebug("Twilio message without a known event ignored");
                    break;
            }
        }
        catch (JsonException e)
        {
            if (!_warnedMalformed)
            {
                // Twilio has no error channel: note it once and go on with the call.
                _warnedMalformed = true;
                using IDisposable? scope = BeginScope();
                _logger.LogWarning("Call {CallSid}: a message was not valid JSON and is ignored ({Error})", _callSid, e.Message);
            }
        }
    }

    public void OnBinary(ReadOnlySequence<byte> message)
    {
        using IDisposable? scope = BeginScope();
        _logger.LogWarning("Call {CallSid}: binary frame ignored (Twilio Media Streams sends JSON text)", _callSid);
    }

    public void OnClosed(CloseReason reason)
    {
        _ended.Cancel();
        using IDisposable? scope = BeginScope();
        _session?.OnClosed(reason);
        if (_admission is not null)
        {
            _services.Registry.Release(_admission);
        }

        if (_started)
        {
            double seconds = Stopwatch.GetElapsedTime(_startedAt).TotalSeconds;
            TelephonyMetrics.CallsOpen.Add(-1);
            RealtimeMetrics.SessionsOpen.Add(-1);
            TelephonyMetrics.CallDuration.Record(seconds);
            string why = _ending ?? (reason.InitiatedByPeer ? "the provider closed the stream" : reason.Description ?? "closed by the server");
            _logger.LogInformation(
                "Call {CallSid} ended ({Why}): close {Status} after {Seconds:0.0} s; {Turns} turns, {BargeIns} barge-ins, {ToolCalls} tool calls, {InboundSeconds:0.0} s of caller audio",
                _callSid, why, reason.Status, seconds, _turns, _bargeIns, _toolCalls, Volatile.Read(ref _inboundBytes) / 8000.0);
        }
        else
        {
            _logger.LogInformation("Twilio stream on connection {ConnectionId} closed before a call started ({Status})", _connectionId, reason.Status);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _startTimer?.Dispose();
        _dtmfTimer?.Dispose();
        _hangUpTimer?.Dispose();
        if (_session is not null)
        {
            await _session.DisposeAsync().ConfigureAwait(false);
        }

        lock (_sendGate)
        {
            _writer.Dispose();
        }

        BufferPool<byte>.Return(_message);
        _message = [];
        // _ended is not disposed: a tool call still in flight reads its token (a CTS without timers holds nothing).
    }

    private IDisposable? BeginScope() =>
        _sessionId is null ? ConnectionScope(_logger, _connectionId) : CallScope(_logger, _callSid ?? "", _sessionId, _connectionId);

    private void OnStartTimeout()
    {
        if (!Volatile.Read(ref _started))
        {
            using IDisposable? scope = BeginScope();
            _logger.LogWarning("Twilio stream on connection {ConnectionId}: no `start` within {Seconds} s; closed", _connectionId, _services.Options.StartTimeout.TotalSeconds);
            _connection.Close(CloseStatus.PolicyViolation, "no start message");
        }
    }

    private void OnMedia(ReadOnlySpan<byte> json)
    {
        if (_session is null)
        {
            return;
        }

        int length = TwilioInbound.ReadMediaPayload(json, _audio);
        if (length <= 0)
        {
            return;
        }

        Interlocked.Add(ref _inboundBytes, length);
        TelephonyMetrics.Frames.Add(1, new KeyValuePair<string, object?>("direction", "in"));
        _session.AppendAudio(_audio.AsSpan(0, length));
    }
}
