using System.Runtime.CompilerServices;
using Realtime.Engine.Backends;
using Realtime.Wire.Buffers;

namespace Realtime.Engines.Local.Espeak;

/// <summary>
/// "builtin:espeak-ng": in-process espeak-ng streaming 16-bit PCM at its native rate (22050 Hz) chunk by
/// chunk as the synthesis callback delivers it. All instances share the process's single espeak thread.
/// </summary>
public sealed class EspeakSynthesizer : ISpeechSynthesizer
{
    private readonly EspeakEngine _engine;

    /// <summary>Starts espeak-ng if needed; throws when the library or its data is missing.</summary>
    public EspeakSynthesizer() => _engine = EspeakEngine.Shared;

    public string Name => "builtin:espeak-ng";

    /// <summary>espeak-ng's native output rate.</summary>
    public int SampleRate => _engine.SampleRate;

    public async IAsyncEnumerable<AudioChunk> SynthesizeAsync(
        SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (string.IsNullOrWhiteSpace(request.Text))
        {
            yield break;
        }

        var job = new EspeakJob(request.Text, EspeakVoices.Resolve(request.Voice), EspeakVoices.WordsPerMinute(request.Speed), cancellationToken);
        _engine.Enqueue(job);
        var reader = job.Chunks.Reader;
        try
        {
            while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                while (reader.TryRead(out var chunk))
                {
                    try
                    {
                        // Synthesis runs far ahead of playback: stop at once rather than after the buffered chunks.
                        cancellationToken.ThrowIfCancellationRequested();
                        yield return new AudioChunk(chunk.Samples.AsMemory(0, chunk.Length), _engine.SampleRate);
                    }
                    finally
                    {
                        // The contract: samples are valid until the enumerator advances.
                        BufferPool<short>.Return(chunk.Samples);
                    }
                }
            }
        }
        finally
        {
            job.Abandon();
        }
    }
}
