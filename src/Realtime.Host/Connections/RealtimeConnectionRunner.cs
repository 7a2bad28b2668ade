using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Realtime.Engine.Sessions;
using Realtime.Host.ClientSecrets;
using Realtime.Host.Engines;
using Realtime.Host.Observability;
using Realtime.Host.Operations;
using Realtime.Host.Options;
using Realtime.Wire.Connections;
using Realtime.Wire.Events;
using Realtime.Wire.Http;

namespace Realtime.Host.Connections;

/// <summary>
/// Runs an accepted Realtime WebSocket over a pair of pipes, whichever path took it over (the connection
/// middleware on the raw transport, or the HTTP pipeline's upgrade fallback).
/// </summary>
internal sealed class RealtimeConnectionRunner(
    IRealtimeSessionFactory sessions,
    ClientSecretIssuer clientSecrets,
    IOptions<RealtimeServerOptions> options,
    SessionRegistry registry,
    EngineWarmup warmup,
    ILogger<RealtimeConnectionRunner> logger)
{
    // One scope per connection, around everything that runs for it (the Engine's session loop and the backend calls it
    // starts inherit it through the execution context), so every line about a session names it. Only ids: no keys.
    private static readonly Func<ILogger, string, string, IDisposable?> SessionScope =
        LoggerMessage.DefineScope<string, string>("Session {SessionId} on connection {ConnectionId}");

    private static readonly Func<ILogger, string, IDisposable?> ConnectionScope =
        LoggerMessage.DefineScope<string>("Connection {ConnectionId}");

    /// <summary>
    /// The socket transport's read buffer (its input pipe's pause threshold; Kestrel's default is 1 MiB): client frames
    /// up to this size are read in place from the pipe without a reassembly copy (1 MiB audio appends included).
    /// </summary>
    public const long TransportReadBufferBytes = 2 * 1024 * 1024;

    private readonly ApiKeySet _keys = new(options.Value.ApiKeys);
    private readonly WebSocketConnectionOptions _connectionOptions = new()
    {
        MaxMessageBytes = options.Value.Limits.MaxMessageBytes,
        MaxHeldFrameBytes = TransportReadBufferBytes,
        OutgoingFragmentBytes = options.Value.Limits.OutgoingFragmentBytes,
        MaxPendingOutputBytes = options.Value.Limits.MaxPendingOutputBytes,
        KeepAliveInterval = TimeSpan.FromSeconds(options.Value.WebSocket.KeepAliveIntervalSeconds),
        KeepAliveTimeout = TimeSpan.FromSeconds(options.Value.WebSocket.KeepAliveTimeoutSeconds),
        CloseTimeout = TimeSpan.FromSeconds(options.Value.WebSocket.CloseTimeoutSeconds),
    };

    public int MaxHandshakeHeaderBytes => options.Value.Limits.MaxHandshakeHeaderBytes;

    /// <summary>Frame, backlog and keepalive settings of every server WebSocket (the telephony stream uses them too).</summary>
    public WebSocketConnectionOptions ConnectionOptions => _connectionOptions;

    /// <summary>Whether a browser Origin may open a WebSocket here (no Origin, or an allowed one).</summary>
    public bool IsOriginAllowed(string? origin) => OriginAllowed(origin);

    /// <summary>The handshake's answer; an accepted upgrade is refused (503/429) when draining or over a session limit.</summary>
    public HandshakeDecision Decide(UpgradeRequest request)
    {
        HandshakeDecision decision = Handshake.Decide(request, _keys);
        if (decision.IsUpgrade && !OriginAllowed(request.GetHeader("Origin")))
        {
            return new HandshakeDecision { StatusCode = 403, ErrorText = "Origin not allowed." };
        }

        return decision is { IsUpgrade: true, Auth: AuthOutcome.Accepted } ? registry.Refusal(decision.AcceptedKey) ?? decision : decision;
    }

    private bool OriginAllowed(string? origin)
    {
        string[] allowed = options.Value.AllowedOrigins;
        if (allowed.Length == 0 || origin is null)
        {
            return true;
        }

        foreach (string candidate in allowed)
        {
            if (string.Equals(candidate.TrimEnd('/'), origin, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Runs the WebSocket after the 101 response has been written (the HTTP pipeline's upgrade fallback).</summary>
    /// <remarks>The connection middleware runs the same three steps in its own frame: one async frame less per session.</remarks>
    /// <param name="handshakeUnflushed">The 101 is in <paramref name="output"/> but not flushed: it goes out with the session's first events.</param>
    public async Task RunAsync(HandshakeDecision decision, PipeReader input, PipeWriter output, string connectionId, bool handshakeUnflushed = false)
    {
        if (EnginesLoading)
        {
            await WaitForEnginesAsync(output, handshakeUnflushed).ConfigureAwait(false);
            handshakeUnflushed = false;
        }

        OpenedConnection opened = Open(decision, input, output, connectionId, handshakeUnflushed);
        Exception? failure = null;
        try
        {
            await opened.Connection.RunAsync(opened.Session).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        Finish(opened, failure);
    }

    /// <summary>True only in the first few hundred milliseconds after start, while the engines load.</summary>
    public bool EnginesLoading => !warmup.Loaded.IsCompleted;

    /// <summary>Answers the upgrade now (a session cannot start before the engines are loaded), then waits for them.</summary>
    public async Task WaitForEnginesAsync(PipeWriter output, bool handshakeUnflushed)
    {
        if (handshakeUnflushed)
        {
            await output.FlushAsync().ConfigureAwait(false);
        }

        await warmup.Loaded.ConfigureAwait(false);
    }

    /// <summary>
    /// Makes the connection and its session (or the session that refuses it) and opens the connection's log scope. The
    /// caller runs <see cref="OpenedConnection.Connection"/> with <see cref="OpenedConnection.Session"/>, then calls
    /// <see cref="Finish"/>. Synchronous: nothing of the handshake is held once the session exists.
    /// </summary>
    public OpenedConnection Open(HandshakeDecision decision, PipeReader input, PipeWriter output, string connectionId, bool handshakeUnflushed)
    {
        var connection = new WebSocketConnection(input, output, _connectionOptions);
        var info = new RealtimeConnectionInfo(decision.Dialect, decision.Model, decision.TranscriptionIntent);
        AuthOutcome auth = decision.Auth;
        string? admittedKey = decision.AcceptedKey;
        if (clientSecrets.TryRedeem(decision.PresentedKey, out MintedSecret secret))
        {
            // An ephemeral key minted here: it stands in for a real key and starts the session with its configuration.
            auth = AuthOutcome.Accepted;
            admittedKey = secret.Value;
            info = info with { InitialSession = secret.Dialect == decision.Dialect ? secret.Session : null };
        }

        IWebSocketSession session;
        string? sessionId = auth == AuthOutcome.Accepted ? RealtimeIds.NewSession() : null;
        IDisposable? scope = sessionId is null ? ConnectionScope(logger, connectionId) : SessionScope(logger, sessionId, connectionId);
        if (sessionId is not null)
        {
            info = info with { SessionId = sessionId };
            var metered = new MeteredOutput(connection);
            OpenSession? admission = warmup.Failure is null ? registry.TryOpen(admittedKey, metered) : null;
            if (admission is null)
            {
                session = new RejectedSession(connection, null, "The server cannot take this session now (shutting down or at its session limit).", 1013);
                logger.LogInformation("Session {SessionId} refused: draining or at a session limit", sessionId);
            }
            else
            {
                session = new GuardedSession(sessions.Create(info, metered), metered, registry, admission, options.Value.Limits.MaxEventsPerSecond);
                if (logger.IsEnabled(LogLevel.Debug))
                {
                    // Checked first: the call would box and pack its arguments for every session even with Debug off.
                    logger.LogDebug("Session {SessionId} opened: {Dialect} dialect, model {Model}", sessionId, info.Dialect, info.Model);
                }
            }
        }
        else
        {
            session = AuthFailureSession.Create(connection, auth, decision.PresentedKey);
            logger.LogInformation("Connection {ConnectionId}: rejected, API key {Outcome}", connectionId, auth);
        }

        if (handshakeUnflushed)
        {
            connection.HoldUnflushedPrelude();
        }

        return new OpenedConnection(connection, session, connectionId, sessionId, scope);
    }

    /// <summary>Logs how the connection ended (or that its session failed: <paramref name="failure"/>) and closes its log scope.</summary>
    public void Finish(OpenedConnection opened, Exception? failure)
    {
        WebSocketConnection connection = opened.Connection;
        using IDisposable? scope = opened.Scope;
        if (failure is not null)
        {
            logger.LogError(failure, "Connection {ConnectionId}: session failed; closed with 1011", opened.ConnectionId);
        }
        else if (connection.Outcome is { Status: Realtime.Wire.Frames.CloseStatus.PolicyViolation, InitiatedByPeer: false } outcome)
        {
            // Backlog (client not reading) or event flood: worth an operator's attention, unlike ordinary closes.
            logger.LogWarning(
                "Connection {ConnectionId}: closed with 1008 ({Reason}); output queued at most {PeakPendingBytes} bytes (limit {MaxPendingOutputBytes}, largest message {LargestMessageBytes})",
                opened.ConnectionId,
                outcome.Description,
                connection.PeakPendingBytes,
                _connectionOptions.MaxPendingOutputBytes,
                connection.LargestMessageBytes);
        }
        else if (opened.SessionId is not null && logger.IsEnabled(LogLevel.Debug))
        {
            logger.LogDebug("Session {SessionId} closed: {Status} by the {Side}", opened.SessionId, connection.Outcome.Status, connection.Outcome.InitiatedByPeer ? "client" : "server");
        }
    }
}

/// <summary>An accepted connection made by <see cref="RealtimeConnectionRunner.Open"/>: what runs, and what its end logs.</summary>
internal readonly record struct OpenedConnection(WebSocketConnection Connection, IWebSocketSession Session, string ConnectionId, string? SessionId, IDisposable? Scope);
