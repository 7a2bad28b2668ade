using System.IO.Pipelines;
using Realtime.Host.Connections;
using Realtime.Host.Operations;
using Realtime.Wire.Connections;
using Realtime.Wire.Http;

namespace Realtime.Host.Telephony;

/// <summary>
/// `GET /v1/telephony/twilio`: the WebSocket a Twilio `&lt;Connect&gt;&lt;Stream&gt;` opens. Same handshake rules and
/// connection code as the Realtime endpoint; a key given on the URL (`?token=`) or in a header is checked before the
/// upgrade, a key given as stream parameter at `start` (Twilio carries no query string).
/// </summary>
internal static class TwilioStreamEndpoint
{
    public const string Path = "/v1/telephony/twilio";

    public const string TokenParameter = TwilioCall.TokenParameter;

    public static async Task HandleAsync(HttpContext http)
    {
        RealtimeConnectionRunner runner = http.RequestServices.GetRequiredService<RealtimeConnectionRunner>();
        TwilioCallServices services = http.RequestServices.GetRequiredService<TwilioCallServices>();
        UpgradeRequest request = RealtimeUpgradeEndpoint.ToUpgradeRequest(http.Request);
        HandshakeDecision decision = Handshake.Decide(request, services.Keys, Path);
        string? presented = decision.PresentedKey ?? (request.GetQueryParameter(TokenParameter) is { Length: > 0 } token ? token : null);
        if (decision.IsUpgrade)
        {
            if (!runner.IsOriginAllowed(request.GetHeader("Origin")))
            {
                decision = new HandshakeDecision { StatusCode = 403, ErrorText = "Origin not allowed." };
            }
            else if (presented is not null && !services.Keys.IsOpen && !services.Keys.Contains(presented) && !services.ClientSecrets.TryRedeem(presented, out _))
            {
                decision = new HandshakeDecision { StatusCode = 401, ErrorText = "Incorrect API key provided." };
            }
            else if (services.Registry.Refusal(null) is { } refusal)
            {
                decision = refusal;
            }
        }

        if (await RealtimeUpgradeEndpoint.UpgradeAsync(http, decision).ConfigureAwait(false) is not { } stream)
        {
            return;
        }

        PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(useZeroByteReads: true));
        PipeWriter output = PipeWriter.Create(stream);
        var connection = new WebSocketConnection(input, output, runner.ConnectionOptions);
        var call = new TwilioCall(services, connection, http.Connection.Id, presented, request.GetQueryParameter("model") is { Length: > 0 } model ? model : null);
        try
        {
            await connection.RunAsync(call).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            services.Logger.LogError(ex, "Twilio stream on connection {ConnectionId}: call failed; closed with 1011", http.Connection.Id);
        }
    }
}
