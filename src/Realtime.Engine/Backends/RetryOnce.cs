using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Realtime.Engine.Backends;

/// <summary>
/// The one retry rule for remote stages: a call whose failure <see cref="BackendFailure"/> calls retryable is made
/// once more, and only while nothing of it has been handed on (so nothing of the failed try reached the client and
/// nothing is said twice). The caller's cancellation is never retried.
/// </summary>
internal static class RetryOnce
{
    public static async IAsyncEnumerable<T> StreamAsync<TRequest, T>(
        Func<TRequest, CancellationToken, IAsyncEnumerable<T>> call,
        TRequest request,
        string stage,
        string backend,
        ILogger logger,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var items = call(request, cancellationToken).GetAsyncEnumerator(cancellationToken);
            var handedOn = false;
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await items.MoveNextAsync().ConfigureAwait(false);
                    }
                    catch (Exception e) when (ShouldRetry(e, attempt, handedOn, cancellationToken))
                    {
                        LogRetry(logger, stage, backend, e);
                        break;
                    }

                    if (!more)
                    {
                        yield break;
                    }

                    handedOn = true;
                    yield return items.Current;
                }
            }
            finally
            {
                await items.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The same rule for a call that reports through a callback (recognition): nothing written yet.</summary>
    public static bool ShouldRetry(Exception error, int attempt, bool handedOn, CancellationToken cancellationToken) =>
        attempt == 1 && !handedOn && !cancellationToken.IsCancellationRequested
        && error is not OperationCanceledException && BackendFailure.Of(error).Retryable;

    public static void LogRetry(ILogger logger, string stage, string backend, Exception error) =>
        logger.LogWarning("The {Stage} backend {Backend} failed before answering ({Code}: {Error}); trying once more", stage, backend, BackendFailure.Of(error).Code, error.Message);
}

/// <summary>A remote chat model with <see cref="RetryOnce"/>.</summary>
internal sealed class RetryingChatModel(IChatModel inner, ILogger logger) : IChatModel
{
    public string Name => inner.Name;

    public IAsyncEnumerable<ChatDelta> StreamAsync(ChatRequest request, CancellationToken cancellationToken) =>
        RetryOnce.StreamAsync(inner.StreamAsync, request, "llm", inner.Name, logger, cancellationToken);
}

/// <summary>A remote synthesizer with <see cref="RetryOnce"/> (per synthesized chunk of text).</summary>
internal sealed class RetryingSpeechSynthesizer(ISpeechSynthesizer inner, ILogger logger) : ISpeechSynthesizer
{
    public string Name => inner.Name;

    public IAsyncEnumerable<AudioChunk> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken) =>
        RetryOnce.StreamAsync(inner.SynthesizeAsync, request, "tts", inner.Name, logger, cancellationToken);
}
