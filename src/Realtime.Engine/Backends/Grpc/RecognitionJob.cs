using System.Runtime.CompilerServices;
using System.Threading.Channels;

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
            try
            {
                await RecognizeAsync(_audio, _updates.Writer, _cancel.Token).ConfigureAwait(false);
                _updates.Writer.TryComplete();
            }
            catch (Exception e)
            {
                _updates.Writer.TryComplete(e);
            }
        });
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
