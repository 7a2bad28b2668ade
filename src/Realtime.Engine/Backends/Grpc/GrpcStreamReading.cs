using global::Grpc.Core;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// Reads server streams so that the caller's cancellation surfaces as <see cref="OperationCanceledException"/>
/// while a deadline stays an <see cref="RpcException"/> (DEADLINE_EXCEEDED): a barge-in is not a failure,
/// a timeout is.
/// </summary>
internal static class GrpcStreamReading
{
    public static async Task<bool> NextAsync<T>(this IAsyncStreamReader<T> stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.MoveNext(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException("Backend call cancelled.", e, cancellationToken);
        }
    }

    /// <summary>The same rule for unary calls.</summary>
    public static async Task<T> ResultAsync<T>(this AsyncUnaryCall<T> call, CancellationToken cancellationToken)
    {
        using (call)
        {
            try
            {
                return await call.ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested)
            {
                throw new OperationCanceledException("Backend call cancelled.", e, cancellationToken);
            }
        }
    }
}
