namespace Realtime.Engine.Backends;

/// <summary>Text to speech. Audio streams out chunk by chunk at whatever rate the engine produces.</summary>
public interface ISpeechSynthesizer
{
    string Name { get; }

    /// <summary>
    /// Synthesizes <see cref="SynthesisRequest.Text"/>. Each chunk's samples are valid until the
    /// enumerator advances. Cancelling must stop synthesis promptly.
    /// </summary>
    IAsyncEnumerable<AudioChunk> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken);
}

/// <summary>Voice is the session's voice name (e.g. "alloy"); Speed 0.25–1.5.</summary>
public sealed record SynthesisRequest(string Text, string Voice, string? Model, float Speed);

/// <summary>Mono signed 16-bit PCM at <see cref="SampleRate"/> Hz.</summary>
public readonly record struct AudioChunk(ReadOnlyMemory<short> Samples, int SampleRate);
