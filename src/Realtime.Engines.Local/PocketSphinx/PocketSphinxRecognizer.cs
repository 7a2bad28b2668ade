using Realtime.Engine.Backends;

namespace Realtime.Engines.Local.PocketSphinx;

/// <summary>
/// "builtin:pocketsphinx": in-process pocketsphinx with a pool of loaded decoders shared across sessions.
/// Audio is decoded while the user speaks, so the transcript is ready right after the turn ends.
/// </summary>
public sealed class PocketSphinxRecognizer : ISpeechRecognizer, IDisposable
{
    private readonly PocketSphinxDecoderPool _pool;

    /// <summary>Loads the first decoder immediately; throws when the library or the models are missing.</summary>
    public PocketSphinxRecognizer(PocketSphinxOptions? options = null)
    {
        _pool = new PocketSphinxDecoderPool(options ?? new PocketSphinxOptions());
        try
        {
            _pool.Warm();
        }
        catch
        {
            _pool.Dispose();
            throw;
        }
    }

    public string Name => "builtin:pocketsphinx";

    public bool StreamsWhileSpeaking => true;

    /// <summary>Options are ignored: the model is the bundled US English one.</summary>
    public ISpeechRecognitionStream Open(RecognitionOptions options, CancellationToken cancellationToken) =>
        new PocketSphinxStream(_pool, cancellationToken);

    public void Dispose() => _pool.Dispose();
}
