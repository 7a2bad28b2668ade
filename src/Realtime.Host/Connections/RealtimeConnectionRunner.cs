using System.IO.Pipelines;
using Microsoft.Extensions.Options;
using Realtime.Engine.Sessions;
using Realtime.Host.ClientSecrets;
using Realtime.Host.Options;
using Realtime.Wire.Connections;
using Realtime.Wire.Http;

namespace Realtime.Host.Connections;

/// <summary>
/// Runs an accepted Realtime WebSocket over a pair of pipes, whichever path took it over (the connection
/// middleware on the raw transport, or the HTTP pipeline's upgrade fallback).
/// </summary>
internal sealed class RealtimeConnectionRunner(
    IRealtimeSessionFactory sessions,
    ClientSecretStore clientSecrets,
    IOptions<RealtimeServerOptions> options,
    IHostApplicationLifetime lifetime,
    ILogger<RealtimeConnectionRunner> logger)
{
    private readonly ApiKeySet _keys = new(options.Value.ApiKeys);
    private readonly WebSocketConnectionOptions _connectionOptions = new()
    {
        MaxMessageBytes = options.Value.Limits.MaxMessageBytes,
        OutgoingFragmentBytes = options.Value.Limits.OutgoingFragmentBytes,
        MaxPendingOutputBytes = options.Value.Limits.MaxPendingOutputBytes,
        KeepAliveInterval = TimeSpan.FromSeconds(options.Value.WebSocket.KeepAliveIntervalSeconds),
        CloseTimeout = TimeSpan.FromSeconds(options.Value.WebSocket.CloseTimeoutSeconds),
    };

    public int MaxHandshakeHeaderBytes => options.Value.Limits.MaxHandshakeHeaderBytes;

    public HandshakeDecision Decide(UpgradeRequest request) => Handshake.Decide(request, _keys);

    /// <summary>Runs the WebSocket after the 101 response has been written.</summary>
    public async Task RunAsync(HandshakeDecision decision, PipeReader input, PipeWriter output, string connectionId)
    {
        var connection = new WebSocketConnection(input, output, _connectionOptions);
        var info = new RealtimeConnectionInfo(decision.Dialect, decision.Model, decision.TranscriptionIntent);
        AuthOutcome auth = decision.Auth;
        if (clientSecrets.TryRedeem(decision.PresentedKey, out MintedSecret secret))
        {
            // An ephemeral key minted here: it stands in for a real key and starts the session with its configuration.
            auth = AuthOutcome.Accepted;
            info = info with { InitialSession = secret.Dialect == decision.Dialect ? secret.Session : null };
        }

        IWebSocketSession session = auth == AuthOutcome.Accepted
            ? sessions.Create(info, connection)
            : AuthFailureSession.Create(connection, auth, decision.PresentedKey);
        if (auth != AuthOutcome.Accepted)
        {
            logger.LogInformation("Connection {ConnectionId}: rejected, API key {Outcome}", connectionId, auth);
        }

        try
        {
            await connection.RunAsync(session, lifetime.ApplicationStopping).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Connection {ConnectionId}: session failed; closed with 1011", connectionId);
        }
    }
}
