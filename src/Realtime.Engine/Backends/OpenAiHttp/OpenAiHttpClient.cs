using System.Net.Http.Headers;
using System.Text.Json;

namespace Realtime.Engine.Backends.OpenAiHttp;

/// <summary>One pooled HTTP client per OpenAI-compatible server, shared by all sessions and stages.</summary>
internal sealed class OpenAiHttpClient : IDisposable
{
    private readonly HttpClient _http;

    public OpenAiHttpClient(BackendUri uri, BackendRegistryOptions options)
    {
        Uri = uri;
        Options = options;
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            // Re-resolve DNS now and then so a server behind a changing name is followed.
            PooledConnectionLifetime = TimeSpan.FromMinutes(15),
            EnableMultipleHttp2Connections = true,
            // A cancelled stream (barge-in) must close its connection at once so the server stops generating;
            // draining the rest to reuse the connection would keep the server busy for seconds.
            MaxResponseDrainSize = 0,
            ResponseDrainTimeout = TimeSpan.Zero,
        };
        _http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = new Uri(uri.Address!.AbsoluteUri.TrimEnd('/') + "/"),
            // Deadlines are per call (linked token), so the client itself never times out a stream.
            Timeout = Timeout.InfiniteTimeSpan,
        };
        if (!string.IsNullOrEmpty(options.ApiKey))
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
        }
    }

    public BackendUri Uri { get; }

    public BackendRegistryOptions Options { get; }

    /// <summary>Sends and returns once headers arrive; a non-2xx answer throws with the server's error message.</summary>
    public async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        using (response)
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            throw new HttpRequestException($"Backend {Uri} answered {(int)response.StatusCode}: {ErrorMessage(body)}", null, response.StatusCode);
        }
    }

    /// <summary>The <c>error.message</c> of an OpenAI error body, else the (shortened) body.</summary>
    public static string ErrorMessage(string body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error))
            {
                return ErrorMessage(error);
            }
        }
        catch (JsonException)
        {
        }

        return body.Length > 300 ? body[..300] : body;
    }

    public static string ErrorMessage(JsonElement error) =>
        error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
            ? message.GetString()!
            : error.GetRawText();

    /// <summary>A token that also fires at the per-call deadline.</summary>
    public CancellationTokenSource StartDeadline(CancellationToken cancellationToken)
    {
        var source = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        source.CancelAfter(Options.CallTimeout);
        return source;
    }

    /// <summary>
    /// Awaits one step of a call. The deadline firing surfaces as <see cref="TimeoutException"/> so that only the
    /// caller's own cancellation (barge-in) is an <see cref="OperationCanceledException"/>.
    /// </summary>
    public async ValueTask<T> StepAsync<T>(ValueTask<T> step, CancellationTokenSource deadline, CancellationToken caller)
    {
        try
        {
            return await step.ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!caller.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            throw new TimeoutException($"Backend {Uri} did not answer within {Options.CallTimeout.TotalSeconds:0.###} s.", e);
        }
    }

    public void Dispose() => _http.Dispose();
}
