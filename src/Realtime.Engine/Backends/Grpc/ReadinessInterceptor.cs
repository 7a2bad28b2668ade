using global::Grpc.Core;
using global::Grpc.Core.Interceptors;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// Watches the outcome of every call to one backend. A call that shows the backend lost its state — the connection
/// dropped (UNAVAILABLE: the process died and may come back empty) or the backend says no model is loaded
/// (FAILED_PRECONDITION) — makes the client forget its readiness, so the next use runs Health and LoadModel again
/// instead of failing every call until the gateway restarts.
/// </summary>
internal sealed class ReadinessInterceptor(GrpcBackendClient client) : Interceptor
{
    public override AsyncUnaryCall<TResponse> AsyncUnaryCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncUnaryCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        if (IsReadinessCall(context.Method.Name))
        {
            // Health and LoadModel are the readiness check itself; their failures are already not cached.
            return call;
        }

        return new AsyncUnaryCall<TResponse>(ObserveAsync(call.ResponseAsync), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    public override AsyncServerStreamingCall<TResponse> AsyncServerStreamingCall<TRequest, TResponse>(
        TRequest request, ClientInterceptorContext<TRequest, TResponse> context, AsyncServerStreamingCallContinuation<TRequest, TResponse> continuation)
    {
        var call = continuation(request, context);
        return new AsyncServerStreamingCall<TResponse>(new ObservedReader<TResponse>(call.ResponseStream, this), call.ResponseHeadersAsync, call.GetStatus, call.GetTrailers, call.Dispose);
    }

    private static bool IsReadinessCall(string methodName) => methodName is "Health" or "LoadModel";

    private void Observe(RpcException e)
    {
        if (e.StatusCode is StatusCode.Unavailable or StatusCode.FailedPrecondition)
        {
            client.ForgetReadiness(e);
        }
    }

    private async Task<T> ObserveAsync<T>(Task<T> response)
    {
        try
        {
            return await response.ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            Observe(e);
            throw;
        }
    }

    private sealed class ObservedReader<T>(IAsyncStreamReader<T> inner, ReadinessInterceptor owner) : IAsyncStreamReader<T>
    {
        public T Current => inner.Current;

        public Task<bool> MoveNext(CancellationToken cancellationToken)
        {
            // A message already buffered passes straight through: no extra task per message.
            var next = inner.MoveNext(cancellationToken);
            return next.IsCompletedSuccessfully ? next : owner.ObserveAsync(next);
        }
    }
}
