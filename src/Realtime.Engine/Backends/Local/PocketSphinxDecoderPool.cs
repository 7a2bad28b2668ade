using System.Collections.Concurrent;

namespace Realtime.Engine.Backends.Local;

/// <summary>
/// Up to N loaded decoders shared by all sessions. Loading takes about a second, so decoders are kept
/// for the life of the process; a stream waits (asynchronously) when all are busy.
/// </summary>
internal sealed class PocketSphinxDecoderPool : IDisposable
{
    private readonly PocketSphinxOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentBag<PocketSphinxDecoder> _idle = [];
    private readonly ConcurrentBag<PocketSphinxDecoder> _all = [];

    public PocketSphinxDecoderPool(PocketSphinxOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.DecoderCount, 1);
        _options = options;
        _slots = new SemaphoreSlim(options.DecoderCount, options.DecoderCount);
    }

    /// <summary>Loads one decoder now so the first turn does not pay for it.</summary>
    public void Warm()
    {
        if (_all.IsEmpty)
        {
            var decoder = PocketSphinxDecoder.Load(_options);
            _all.Add(decoder);
            _idle.Add(decoder);
        }
    }

    public async ValueTask<PocketSphinxDecoder> RentAsync(CancellationToken cancellationToken)
    {
        await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
        if (_idle.TryTake(out var decoder))
        {
            return decoder;
        }

        try
        {
            decoder = PocketSphinxDecoder.Load(_options);
        }
        catch
        {
            _slots.Release();
            throw;
        }

        _all.Add(decoder);
        return decoder;
    }

    public void Return(PocketSphinxDecoder decoder)
    {
        _idle.Add(decoder);
        _slots.Release();
    }

    public void Dispose()
    {
        foreach (var decoder in _all)
        {
            decoder.Dispose();
        }

        _slots.Dispose();
    }
}
