using System.Buffers;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Connections;
using Realtime.Wire.Http;

namespace Realtime.Host.Connections;

/// <summary>
/// Peeks the first request of each connection. A `GET /v1/realtime` with `Upgrade: websocket` is taken over on the
/// raw transport pipes (our handshake and frames, no HTTP pipeline cost); anything else is left unconsumed for
/// Kestrel's HTTP pipeline. Runs straight from the accept on plaintext endpoints (<see cref="RealtimeFirstListener"/>)
/// and as Kestrel connection middleware after TLS on the others (<see cref="Before"/>).
/// </summary>
internal sealed class RealtimeConnectionMiddleware(RealtimeConnectionRunner runner)
{
    /// <summary>As Kestrel connection middleware: what is not a Realtime upgrade goes on to <paramref name="next"/>.</summary>
    public ConnectionDelegate Before(ConnectionDelegate next) => context =>
    {
        Task<bool> serving = ServeAsync(context);
        if (serving.IsCompletedSuccessfully)
        {
            return serving.Result ? Task.CompletedTask : next(context);
        }

        return HandOnUnlessServedAsync(serving, next, context);
    };

    private static async Task HandOnUnlessServedAsync(Task<bool> serving, ConnectionDelegate next, ConnectionContext context)
    {
        if (!await serving.ConfigureAwait(false))
        {
            await next(context).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Serves the connection if its first request is a Realtime upgrade (true once the session is over), or leaves its
    /// bytes unread in the pipe and returns false.
    /// </summary>
    /// <remarks>
    /// One async method for the whole connection, peek and session alike: its frame stays parked for as long as the
    /// session lives, and every frame nested in it was another ~150 bytes per idle session.
    /// </remarks>
    public async Task<bool> ServeAsync(ConnectionContext context)
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
                        return true;

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
                        if (opened.Connection.TransportAbandoned)
                        {
                            // Its socket may hold a send the peer never takes: end it now, not when the peer goes.
                            context.Abort(new ConnectionAbortedException("The peer stopped taking data."));
                        }

                        return true;
                }

                break;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or ConnectionResetException or IOException)
        {
            // The client went away while its first request was being read; nothing to answer.
            return true;
        }

        return false;
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
