using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Realtime.Wire.Http;

namespace Realtime.Host.Connections;

/// <summary>
/// Kestrel connection middleware (after TLS): peeks the first request of each connection. A
/// `GET /v1/realtime` with `Upgrade: websocket` is taken over on the raw transport pipes (our handshake and
/// frames, no HTTP pipeline cost); anything else is handed to Kestrel's HTTP pipeline unconsumed.
/// </summary>
internal sealed class RealtimeConnectionMiddleware(ConnectionDelegate next, RealtimeConnectionRunner runner)
{
    public async Task OnConnectionAsync(ConnectionContext context)
    {
        try
        {
            if (await TryTakeOverAsync(context).ConfigureAwait(false))
            {
                return;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The client went away while its first request was being read; nothing to answer.
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    private async Task<bool> TryTakeOverAsync(ConnectionContext context)
    {
        PipeReader input = context.Transport.Input;
        while (true)
        {
            ReadResult result = await input.ReadAsync(context.ConnectionClosed).ConfigureAwait(false);
            ReadOnlySequence<byte> buffer = result.Buffer;
            bool? realtimeLine = UpgradeRequestParser.StartsAsRealtimeRequest(buffer);
            if (realtimeLine == false || result.IsCompleted || result.IsCanceled)
            {
                // Nothing examined: Kestrel's parser sees the buffered bytes on its first read.
                input.AdvanceTo(buffer.Start);
                return false;
            }

            if (realtimeLine is null)
            {
                input.AdvanceTo(buffer.Start, buffer.End);
                continue;
            }

            UpgradeParseStatus status = UpgradeRequestParser.TryParse(buffer, runner.MaxHandshakeHeaderBytes, out UpgradeRequest? request, out SequencePosition end);
            switch (status)
            {
                case UpgradeParseStatus.NeedMoreData:
                    input.AdvanceTo(buffer.Start, buffer.End);
                    continue;

                case UpgradeParseStatus.TooLarge:
                    input.AdvanceTo(buffer.End);
                    await RejectAsync(context, Handshake.HeadTooLarge()).ConfigureAwait(false);
                    return true;

                case UpgradeParseStatus.Malformed:
                    input.AdvanceTo(buffer.End);
                    await RejectAsync(context, Handshake.Malformed()).ConfigureAwait(false);
                    return true;
            }

            if (!request!.HeaderHasToken("Upgrade", "websocket"))
            {
                // A plain GET /v1/realtime: the HTTP pipeline's endpoint answers it (426).
                input.AdvanceTo(buffer.Start);
                return false;
            }

            input.AdvanceTo(end);
            HandshakeDecision decision = runner.Decide(request);
            if (!decision.IsUpgrade)
            {
                await RejectAsync(context, decision).ConfigureAwait(false);
                return true;
            }

            // Not flushed here: the 101 leaves with session.created in one send (one syscall and segment less per session).
            Handshake.WriteResponse(context.Transport.Output, decision);
            await runner.RunAsync(decision, input, context.Transport.Output, context.ConnectionId, handshakeUnflushed: true).ConfigureAwait(false);
            return true;
        }
    }

    private static async Task RejectAsync(ConnectionContext context, HandshakeDecision decision)
    {
        Handshake.WriteResponse(context.Transport.Output, decision);
        await context.Transport.Output.FlushAsync().ConfigureAwait(false);
        await context.Transport.Output.CompleteAsync().ConfigureAwait(false);
    }
}
