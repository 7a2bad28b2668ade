namespace Realtime.Engine.Backends.Local;

/// <summary>
/// Creates and owns the built-in engines once per process. An engine whose native library or model is
/// missing is left null with the reason, so the host can fall back and /healthz can say why.
/// </summary>
public sealed class BuiltinEngines : IDisposable
{
    public BuiltinEngines(PocketSphinxOptions? recognizerOptions = null)
    {
        try
        {
            Recognizer = new PocketSphinxRecognizer(recognizerOptions);
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            RecognizerUnavailableReason = $"pocketsphinx unavailable: {exception.Message}";
        }

        try
        {
            Synthesizer = new EspeakSynthesizer();
        }
        catch (Exception exception) when (exception is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
        {
            SynthesizerUnavailableReason = $"espeak-ng unavailable: {exception.Message}";
        }
    }

    /// <summary>"builtin:pocketsphinx", or null when it could not load.</summary>
    public PocketSphinxRecognizer? Recognizer { get; }

    public string? RecognizerUnavailableReason { get; }

    /// <summary>"builtin:espeak-ng", or null when it could not start.</summary>
    public EspeakSynthesizer? Synthesizer { get; }

    public string? SynthesizerUnavailableReason { get; }

    /// <summary>"builtin:echo": pure managed code, always available.</summary>
    public EchoChatModel ChatModel { get; } = new();

    public void Dispose() => Recognizer?.Dispose();
}
