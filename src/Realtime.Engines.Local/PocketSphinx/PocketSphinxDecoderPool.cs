namespace Realtime.Engines.Local.PocketSphinx;

/// <summary>
/// Up to N loaded decoders shared by all sessions. Loading takes about a second, so decoders are kept
/// for the life of the process; a stream waits (asynchronously) when all are busy.
/// </summary>
internal sealed class PocketSphinxDecoderPool : IDisposable
{
    private readonly PocketSphinxOptions _options;
    private readonly SemaphoreSlim _slots;

    // Guarded by _gate (rents and returns happen once per turn, so a lock costs nothing that matters).
    private readonly Lock _gate = new();
    private readonly Stack<PocketSphinxDecoder> _idle = new();
    private int _loaded;
    private bool _disposed;

    public PocketSphinxDecoderPool(PocketSphinxOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DecoderCount, 1);
        _options = options;
        _slots = new SemaphoreSlim(options.DecoderCount, options.DecoderCount);
    }

    /// <summary>Loads one decoder now so the first turn does not pay for it.</summary>
    public void Warm()
    {
        lock (_gate)
        {
            if (_loaded == 0 && !_disposed)
            {
                _idle.Push(PocketSphinxDecoder.Load(_options));
                _loaded++;
            }
        }
    }

    public async ValueTask<PocketSphinxDecoder> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            if (!_disposed && _idle.TryPop(out var idle))
            {
                return idle;
            }
        }

        PocketSphinxDecoder? decoder = null;
        try
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            decoder = PocketSphinxDecoder.Load(_options);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _loaded++;
                return decoder;
            }
        }
        catch
        {
            decoder?.Dispose();
            _slots.Release();
            throw;
        }
    }

    public void Return(PocketSphinxDecoder decoder)
    {
        lock (_gate)
        {
            if (_disposed)
            {
                // The pool went away while this decoder was decoding: free it now that nothing uses it.
                decoder.Dispose();
                return;
            }

            _idle.Push(decoder);
        }

        _slots.Release();
    }

    /// <summary>
    /// Frees the idle decoders at once and each busy one when its stream returns it: freeing a decoder that a
    /// recognition thread is still inside crashes the process (seen at server stop with an utterance mid-decode).
    /// </summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            while (_idle.TryPop(out var decoder))
            {
                decoder.Dispose();
            }
        }
    }
}
