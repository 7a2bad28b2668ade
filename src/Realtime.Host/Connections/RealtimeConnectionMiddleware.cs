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
    /// <remarks>
    /// One async method for the whole connection, peek and session alike: its frame stays parked for as long as the
    /// session lives, and every frame nested in it was another ~150 bytes per idle session.
    /// </remarks>
    public async Task OnConnectionAsync(ConnectionContext context)
    {
        PipeReader input = context.Transport.Input;
        try
        {
            while (true)
            {
                ReadResult result = await input.ReadAsync(context.ConnectionClosed).ConfigureAwait(false);
                (Peek peek, HandshakeDecision? decision) = PeekRequest(input, result);
                switch (peek)
                {
                    case Peek.NeedMoreData:
                        continue;

                    case Peek.Rejected:
                        await RejectAsync(context.Transport.Output, decision!).ConfigureAwait(false);
                        return;

                    case Peek.Upgrade:
                        // Not flushed here: the 101 leaves with session.created in one send (one syscall and segment less per session).
                        Handshake.WriteResponse(context.Transport.Output, decision!);
                        bool unflushed = true;
                        if (runner.EnginesLoading)
                        {
                            await runner.WaitForEnginesAsync(context.Transport.Output, unflushed).ConfigureAwait(false);
                            unflushed = false;
                        }

                        // RealtimeConnectionRunner.RunAsync's steps, here rather than awaited: the session's whole life
                        // parks this frame, and a nested one was ~200 bytes more per idle session.
                        OpenedConnection opened = runner.Open(decision!, input, context.Transport.Output, context.ConnectionId, unflushed);
                        decision = null;
                        Exception? failure = null;
                        try
                        {
                            await opened.Connection.RunAsync(opened.Session).ConfigureAwait(false);
                        }
                        catch (Exception ex)
                        {
                            failure = ex;
                        }

                        runner.Finish(opened, failure);
                        return;
                }

                break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The client went away while its first request was being read; nothing to answer.
            return;
        }

        await next(context).ConfigureAwait(false);
    }

    /// <remarks>
    /// Its own method: awaited here, its flush and completion awaiters were two fields more in the frame that every
    /// session parks for its whole life (32 bytes per idle session, gcdump).
    /// </remarks>
    private static async Task RejectAsync(PipeWriter output, HandshakeDecision decision)
    {
        Handshake.WriteResponse(output, decision);
        await output.FlushAsync().ConfigureAwait(false);
        await output.CompleteAsync().ConfigureAwait(false);
    }

    private enum Peek
    {
        /// <summary>Not a Realtime upgrade: the bytes stay in the pipe for Kestrel's HTTP parser.</summary>
        NotRealtime,
        NeedMoreData,
        Rejected,
        Upgrade,
    }

    /// <summary>Looks at what has arrived of the first request, and advances the pipe past what it has taken.</summary>
    private (Peek Peek, HandshakeDecision? Decision) PeekRequest(PipeReader input, ReadResult result)
    {
        ReadOnlySequence<byte> buffer = result.Buffer;
        bool? realtimeLine = UpgradeRequestParser.StartsAsRealtimeRequest(buffer);
        if (realtimeLine == false || result.IsCompleted || result.IsCanceled)
        {
            // Nothing examined: Kestrel's parser sees the buffered bytes on its first read.
            input.AdvanceTo(buffer.Start);
            return (Peek.NotRealtime, null);
        }

        if (realtimeLine is null)
        {
            input.AdvanceTo(buffer.Start, buffer.End);
            return (Peek.NeedMoreData, null);
        }

        UpgradeParseStatus status = UpgradeRequestParser.TryParse(buffer, runner.MaxHandshakeHeaderBytes, out UpgradeRequest? request, out SequencePosition end);
        switch (status)
        {
            case UpgradeParseStatus.NeedMoreData:
                input.AdvanceTo(buffer.Start, buffer.End);
                return (Peek.NeedMoreData, null);

            case UpgradeParseStatus.TooLarge:
                input.AdvanceTo(buffer.End);
                return (Peek.Rejected, Handshake.HeadTooLarge());

            case UpgradeParseStatus.Malformed:
                input.AdvanceTo(buffer.End);
                return (Peek.Rejected, Handshake.Malformed());
        }

        if (!request!.HeaderHasToken("Upgrade", "websocket"))
        {
            // A plain GET /v1/realtime: the HTTP pipeline's endpoint answers it (426).
            input.AdvanceTo(buffer.Start);
            return (Peek.NotRealtime, null);
        }

        input.AdvanceTo(end);
        HandshakeDecision decision = runner.Decide(request);
        return (decision.IsUpgrade ? Peek.Upgrade : Peek.Rejected, decision);
    }
}
