namespace Realtime.Engine.Backends;

/// <summary>
/// Speech to text. A stream is opened when the user starts speaking (or at commit for manual turns),
/// fed 16 kHz audio while they speak, and completed when the turn is committed. Backends that
/// cannot stream buffer internally and make one call at completion.
/// </summary>
public interface ISpeechRecognizer
{
    string Name { get; }

    /// <summary>True when partial hypotheses arrive while audio is still being written.</summary>
    bool StreamsWhileSpeaking { get; }

    ISpeechRecognitionStream Open(RecognitionOptions options, CancellationToken cancellationToken);
}

public sealed record RecognitionOptions(string? Model, string? Language, string? Prompt);

public interface ISpeechRecognitionStream : IAsyncDisposable
{
    /// <summary>Audio at 16 kHz, mono, in [-1, 1]. Called from the session loop; must not block on inference.</summary>
    void Write(ReadOnlySpan<float> samples);

    /// <summary>No more audio: finish decoding. The transcript arrives through <see cref="ReadAsync"/>.</summary>
    void Complete();

    /// <summary>
    /// Partial deltas (text to append) as they are decoded, then exactly one final result; ends after it.
    /// Throws on backend failure.
    /// </summary>
    IAsyncEnumerable<TranscriptUpdate> ReadAsync(CancellationToken cancellationToken);
}

/// <summary>Either a delta (IsFinal false: text to append) or the final transcript (IsFinal true: the whole text).</summary>
public readonly record struct TranscriptUpdate(string Text, bool IsFinal);
