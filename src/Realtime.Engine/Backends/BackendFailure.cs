using System.Net;
using System.Text.Json;
using global::Grpc.Core;

namespace Realtime.Engine.Backends;

/// <summary>
/// What a backend failure was, in the client's terms: the <c>code</c> of the <c>error</c> event a failed response
/// sends (<c>backend_internal</c>, <c>backend_http_503</c>, …), and whether the call is worth one more try.
/// This is the one table of retry decisions (README "Backend failures"): a failure is retried only when it says
/// the backend was briefly unable to serve (gone, overloaded, model not loaded, a proxy timeout), never when it
/// judged the request (bad input, missing RPC, its own crash), and never past the call deadline.
/// </summary>
public readonly record struct BackendFailure(string Code, bool Retryable)
{
    /// <summary>Classifies <paramref name="error"/> (the exception a stage call ended with).</summary>
    public static BackendFailure Of(Exception error) => error switch
    {
        RpcException rpc => OfGrpc(rpc.StatusCode),
        // Readiness (Health polling, LoadModel) gave up: named by the status it met, not retried (it polled already).
        InvalidOperationException { InnerException: RpcException inner } => OfGrpc(inner.StatusCode) with { Retryable = false },
        HttpRequestException { StatusCode: { } status } => OfHttp((int)status),
        // No HTTP status: the connection could not be made or broke before an answer (refused, reset, DNS).
        HttpRequestException => new("backend_unavailable", true),
        HttpIOException => new("backend_connection_lost", false),
        TimeoutException => new("backend_deadline_exceeded", false),
        InvalidDataException or JsonException => new("backend_invalid_response", false),
        IOException => new("backend_stream_truncated", false),
        _ => new("backend_error", false),
    };

    /// <summary>gRPC statuses (LocalAI <c>backend.Backend</c>).</summary>
    public static BackendFailure OfGrpc(StatusCode status) => status switch
    {
        // The process is gone or restarting: the interceptor forgets readiness, the retry runs Health again.
        StatusCode.Unavailable => new("backend_unavailable", true),
        // Overloaded (queue full, out of slots): a moment later may serve.
        StatusCode.ResourceExhausted => new("backend_resource_exhausted", true),
        // LocalAI's "model not loaded": the retry runs LoadModel first.
        StatusCode.FailedPrecondition => new("backend_failed_precondition", true),
        // The deadline is the whole budget of the call; another try would overrun it.
        StatusCode.DeadlineExceeded => new("backend_deadline_exceeded", false),
        // The backend judged this request or crashed on it: the same request fails the same way.
        StatusCode.Internal => new("backend_internal", false),
        StatusCode.Unknown => new("backend_unknown", false),
        StatusCode.Unimplemented => new("backend_unimplemented", false),
        StatusCode.InvalidArgument => new("backend_invalid_argument", false),
        StatusCode.Unauthenticated => new("backend_unauthenticated", false),
        StatusCode.PermissionDenied => new("backend_permission_denied", false),
        StatusCode.NotFound => new("backend_not_found", false),
        StatusCode.Aborted => new("backend_aborted", false),
        StatusCode.OutOfRange => new("backend_out_of_range", false),
        StatusCode.DataLoss => new("backend_data_loss", false),
        StatusCode.Cancelled => new("backend_cancelled", false),
        _ => new("backend_error", false),
    };

    /// <summary>HTTP statuses (OpenAI-compatible servers and the proxies in front of them).</summary>
    public static BackendFailure OfHttp(int status) => new(
        "backend_http_" + status.ToString(System.Globalization.CultureInfo.InvariantCulture),
        status is (int)HttpStatusCode.RequestTimeout or (int)HttpStatusCode.TooManyRequests
            or (int)HttpStatusCode.BadGateway or (int)HttpStatusCode.ServiceUnavailable or (int)HttpStatusCode.GatewayTimeout);
}
