using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;
using Realtime.Engine.Backends;
using Realtime.Wire.Buffers;

namespace Realtime.Engines.Local.PocketSphinx;

/// <summary>
/// One utterance. Write converts to 16-bit PCM into pooled buffers and queues them; a worker holding a
/// pooled decoder feeds them to pocketsphinx and publishes the stable part of the partial hypothesis.
/// </summary>
internal sealed class PocketSphinxStream : ISpeechRecognitionStream
{
    private readonly PocketSphinxDecoderPool _pool;
    private readonly CancellationTokenSource _cancellation;
    private readonly Channel<PcmSegment> _audio = Channel.CreateUnbounded<PcmSegment>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Channel<TranscriptUpdate> _updates = Channel.CreateUnbounded<TranscriptUpdate>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly Task _worker;
    private byte[] _lastHypothesis = new byte[256];
    private int _lastHypothesisLength;
    private string _emitted = string.Empty;
    private int _samplesSincePartial;

    /// <summary>Half a second of 16 kHz audio.</summary>
    private const int PartialInterval = 8000;

    public PocketSphinxStream(PocketSphinxDecoderPool pool, CancellationToken cancellationToken)
    {
        _pool = pool;
        _cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        _worker = Task.Run(DecodeAsync, CancellationToken.None);
    }

    public void Write(ReadOnlySpan<float> samples)
    {
        if (samples.IsEmpty)
        {
            return;
        }

        var buffer = BufferPool<short>.Rent(samples.Length);
        PocketSphinxSamples.ToPcm16(samples, buffer);

        if (!_audio.Writer.TryWrite(new PcmSegment(buffer, samples.Length)))
        {
            // Written after Complete or after the stream failed: nothing will read it.
            BufferPool<short>.Return(buffer);
        }
    }

    public void Complete() => _audio.Writer.TryComplete();

    public async IAsyncEnumerable<TranscriptUpdate> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var update in _updates.Reader.ReadAllAsync(cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _audio.Writer.TryComplete();
        await _cancellation.CancelAsync().ConfigureAwait(false);
        await _worker.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _cancellation.Dispose();
    }

    private async Task DecodeAsync()
    {
        var token = _cancellation.Token;
        PocketSphinxDecoder? decoder = null;
        try
        {
            decoder = await _pool.RentAsync(token).ConfigureAwait(false);
            decoder.StartUtterance();
            var reader = _audio.Reader;
            while (await reader.WaitToReadAsync(token).ConfigureAwait(false))
            {
                // Drain everything queued, then look at the hypothesis once (the backtrace is the costly part),
                // but at least every PartialInterval of audio so a decoder that fell behind still streams.
                while (reader.TryRead(out var segment))
                {
                    try
                    {
                        token.ThrowIfCancellationRequested();
                        decoder.Process(segment.Samples);
                        _samplesSincePartial += segment.Length;
                    }
                    finally
                    {
                        segment.Return();
                    }

                    if (_samplesSincePartial >= PartialInterval)
                    {
                        PublishPartial(decoder.Hypothesis());
                    }
                }

                PublishPartial(decoder.Hypothesis());
            }

            var final = decoder.EndUtterance();
            if (_emitted.Length > 0 && final.Length > _emitted.Length && ExtendsAtWordBoundary(final, _emitted))
            {
                _updates.Writer.TryWrite(new TranscriptUpdate(final[_emitted.Length..], false));
            }
            else if (_emitted.Length == 0 && final.Length > 0)
            {
                _updates.Writer.TryWrite(new TranscriptUpdate(final, false));
            }

            _updates.Writer.TryWrite(new TranscriptUpdate(final, true));
            _updates.Writer.TryComplete();
        }
        catch (Exception exception)
        {
            decoder?.Abandon();
            _updates.Writer.TryComplete(exception);
        }
        finally
        {
            if (decoder is not null)
            {
                _pool.Return(decoder);
            }

            _audio.Writer.TryComplete();
            while (_audio.Reader.TryRead(out var segment))
            {
                segment.Return();
            }
        }
    }

    /// <summary>
    /// Publishes the words before the last one (the last may still be revised) when they extend what was
    /// already sent; otherwise holds everything until the final transcript.
    /// </summary>
    private void PublishPartial(ReadOnlySpan<byte> hypothesis)
    {
        _samplesSincePartial = 0;
        if (hypothesis.SequenceEqual(_lastHypothesis.AsSpan(0, _lastHypothesisLength)))
        {
            return;
        }

        if (hypothesis.Length > _lastHypothesis.Length)
        {
            _lastHypothesis = new byte[hypothesis.Length * 2];
        }

        hypothesis.CopyTo(_lastHypothesis);
        _lastHypothesisLength = hypothesis.Length;

        var lastSpace = hypothesis.LastIndexOf((byte)' ');
        if (lastSpace <= 0)
        {
            return;
        }

        var stable = Encoding.UTF8.GetString(hypothesis[..lastSpace]);
        if (stable.Length > _emitted.Length && ExtendsAtWordBoundary(stable, _emitted))
        {
            _updates.Writer.TryWrite(new TranscriptUpdate(stable[_emitted.Length..], false));
            _emitted = stable;
        }
    }

    private static bool ExtendsAtWordBoundary(string text, string prefix) =>
        prefix.Length == 0 || (text.StartsWith(prefix, StringComparison.Ordinal) && text[prefix.Length] == ' ');

    private readonly record struct PcmSegment(short[] Buffer, int Length)
    {
        public ReadOnlySpan<short> Samples => Buffer.AsSpan(0, Length);

        public void Return() => BufferPool<short>.Return(Buffer);
    }
}
