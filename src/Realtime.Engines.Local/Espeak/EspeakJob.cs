using System.Text;
using System.Threading.Channels;
using Realtime.Wire.Buffers;

namespace Realtime.Engines.Local.Espeak;

/// <summary>One synthesis request as the synthesis thread sees it: its sentences, voice, and where chunks go.</summary>
internal sealed class EspeakJob
{
    private readonly List<string> _sentences;
    private int _next;
    private volatile bool _abandoned;

    public EspeakJob(string text, string voice, int wordsPerMinute, CancellationToken cancellationToken)
    {
        _sentences = EspeakSentences.Split(text);
        Voice = voice;
        WordsPerMinute = wordsPerMinute;
        CancellationToken = cancellationToken;
    }

    public string Voice { get; }

    public int WordsPerMinute { get; }

    public CancellationToken CancellationToken { get; }

    /// <summary>Pooled PCM chunks (array, length); the consumer returns each array to the pool.</summary>
    public Channel<(short[] Samples, int Length)> Chunks { get; } = Channel.CreateUnbounded<(short[], int)>(
        // Not single-reader: the consumer and the synthesis thread may both drain leftovers after completion.
        new UnboundedChannelOptions { SingleReader = false, SingleWriter = true });

    /// <summary>Checked by the synthesis callback: true stops the current sentence at the next callback.</summary>
    public bool Stopped => _abandoned || CancellationToken.IsCancellationRequested;

    public bool HasMore => _next < _sentences.Count;

    /// <summary>Null-terminated UTF-8 of the next sentence.</summary>
    public byte[] TakeSentence()
    {
        var sentence = _sentences[_next++];
        var bytes = new byte[Encoding.UTF8.GetByteCount(sentence) + 1];
        Encoding.UTF8.GetBytes(sentence, bytes);
        return bytes;
    }

    /// <summary>The consumer went away: stop synthesizing and release queued chunks.</summary>
    public void Abandon()
    {
        _abandoned = true;
        Chunks.Writer.TryComplete();
        Drain();
    }

    public void Drain()
    {
        while (Chunks.Reader.TryRead(out var chunk))
        {
            BufferPool<short>.Return(chunk.Samples);
        }
    }
}
