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
        HandshakeDecision decision = runner.Decide(ToUpgradeRequest(http.Request));
        if (await UpgradeAsync(http, decision).ConfigureAwait(false) is not { } stream)
        {
            return;
        }

        // Zero-byte reads: an idle upgraded stream holds no pipe buffer until data arrives.
        PipeReader input = PipeReader.Create(stream, new StreamPipeReaderOptions(useZeroByteReads: true));
        PipeWriter output = PipeWriter.Create(stream);
        await runner.RunAsync(decision, input, output, http.Connection.Id).ConfigureAwait(false);
    }

    /// <summary>The request head as the handshake reads it.</summary>
    internal static UpgradeRequest ToUpgradeRequest(HttpRequest request)
    {
        var upgrade = new UpgradeRequest(request.Method, request.Path.Value + request.QueryString.Value, request.Protocol);
        foreach (KeyValuePair<string, Microsoft.Extensions.Primitives.StringValues> header in request.Headers)
        {
            foreach (string? value in header.Value)
            {
                upgrade.AddHeader(header.Key, value ?? string.Empty);
            }
        }

        return upgrade;
    }

    /// <summary>Answers a refused handshake, or upgrades and returns the raw stream (the 101 is sent).</summary>
    internal static async Task<Stream?> UpgradeAsync(HttpContext http, HandshakeDecision decision)
    {
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
            return null;
        }

        http.Response.Headers.Upgrade = "websocket";
        http.Response.Headers.SecWebSocketAccept = decision.AcceptKey;
        if (decision.SubProtocol is not null)
        {
            http.Response.Headers.SecWebSocketProtocol = decision.SubProtocol;
        }

        return await feature!.UpgradeAsync().ConfigureAwait(false);
    }
}
