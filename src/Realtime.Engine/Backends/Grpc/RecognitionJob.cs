using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// The part of a buffered recognition stream shared by the gRPC and HTTP recognizers: audio is kept until
/// <see cref="Complete"/>, then one background call runs and its updates flow through a channel.
/// </summary>
internal abstract class RecognitionJob : ISpeechRecognitionStream
{
    private readonly PcmTurnBuffer _audio = new();
    private readonly Channel<TranscriptUpdate> _updates = Channel.CreateUnbounded<TranscriptUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly CancellationTokenSource _cancel;
    private Task? _run;

    protected RecognitionJob(CancellationToken cancellationToken)
    {
        _cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    }

    public void Write(ReadOnlySpan<float> samples)
    {
        if (_run is null)
        {
            _audio.Append(samples);
        }
    }

    public void Complete()
    {
        if (_run is not null)
        {
            return;
        }

        _run = Task.Run(async () =>
        {
            var updates = new TrackingWriter(_updates.Writer);
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await RecognizeAsync(_audio, updates, _cancel.Token).ConfigureAwait(false);
                    _updates.Writer.TryComplete();
                    return;
                }
                catch (Exception e) when (RetryOnce.ShouldRetry(e, attempt, updates.Wrote, _cancel.Token))
                {
                    RetryOnce.LogRetry(Logger, "transcription", BackendName, e);
                }
                catch (Exception e)
                {
                    _updates.Writer.TryComplete(e);
                    return;
                }
            }
        });
    }

    /// <summary>The backend's address, for logs.</summary>
    protected abstract string BackendName { get; }

    protected virtual ILogger Logger => NullLogger.Instance;

    /// <summary>Remembers whether the call produced anything: a recognition that already sent deltas is not retried.</summary>
    private sealed class TrackingWriter(ChannelWriter<TranscriptUpdate> inner) : ChannelWriter<TranscriptUpdate>
    {
        public bool Wrote { get; private set; }

        public override bool TryWrite(TranscriptUpdate item)
        {
            Wrote = true;
            return inner.TryWrite(item);
        }

        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => inner.WaitToWriteAsync(cancellationToken);
    }

    public async IAsyncEnumerable<TranscriptUpdate> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in _updates.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return update;
            if (update.IsFinal)
            {
                yield break;
            }
        }
    }

    /// <summary>Runs the backend call; writes deltas and exactly one final update.</summary>
    protected abstract Task RecognizeAsync(PcmTurnBuffer audio, ChannelWriter<TranscriptUpdate> updates, CancellationToken cancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _cancel.CancelAsync().ConfigureAwait(false);
        if (_run is not null)
        {
            try
            {
                await _run.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _cancel.Dispose();
        _audio.Dispose();
        GC.SuppressFinalize(this);
    }
}
