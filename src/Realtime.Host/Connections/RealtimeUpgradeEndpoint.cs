using System.IO.Pipelines;
using Microsoft.AspNetCore.Http.Features;
using Realtime.Wire.Http;

namespace Realtime.Host.Connections;

/// <summary>
/// `/v1/realtime` in the HTTP pipeline. Reached when the connection middleware handed the connection on:
/// a plain GET (answered 426), or an upgrade that follows keep-alive requests on the same connection,
/// which is upgraded through <see cref="IHttpUpgradeFeature"/> and then runs the same WebSocket code.
/// </summary>
internal static class RealtimeUpgradeEndpoint
{
    public static async Task HandleAsync(HttpContext http)
    {
        RealtimeConnectionRunner runner = http.RequestServices.GetRequiredService<RealtimeConnectionRunner>();
        HttpRequest request = http.Request;
        var upgrade = new UpgradeRequest(request.Method, request.Path.Value + request.QueryString.Value, request.Protocol);
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            foreach (string? value in header.Value)
            {
                upgrade.AddHeader(header.Key, value ?? string.Empty);
            }
        }

        HandshakeDecision decision = runner.Decide(upgrade);
        IHttpUpgradeFeature? feature = http.Features.Get<IHttpUpgradeFeature>();
        if (decision.IsUpgrade && feature is not { IsUpgradableRequest: true })
        {
            decision = new HandshakeDecision { StatusCode = 400, ErrorText = "This connection cannot be upgraded (HTTP/1.1 required)." };
        }

        if (!decision.IsUpgrade)
        {
            http.Response.StatusCode = decision.StatusCode;
            if (decision.StatusCode == 426)
            {
                http.Response.Headers.Upgrade = "websocket";
                http.Response.Headers.SecWebSocketVersion = "13";
            }
            else if (decision.StatusCode == 405)
            {
                http.Response.Headers.Allow = "GET";
            }

            http.Response.ContentType = "text/plain; charset=utf-8";
            await http.Response.WriteAsync(decision.ErrorText + "\n").ConfigureAwait(false);
            return;
        }

        http.Response.Headers.Upgrade = "websocket";
        http.Response.Headers.SecWebSocketAccept = decision.AcceptKey;
        if (decision.SubProtocol is not null)
        {
            http.Response.Headers.SecWebSocketProtocol = decision.SubProtocol;
        }

        Stream stream = await feature!.UpgradeAsync().ConfigureAwait(false);
        // Zero-byte reads: an idle upgraded stream holds no pipe buffer until data arrives.
        PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(useZeroByteReads: true));
        PipeWriter output = PipeWriter.Create(stream);
        await runner.RunAsync(decision, input, output, http.Connection.Id).ConfigureAwait(false);
    }
}
