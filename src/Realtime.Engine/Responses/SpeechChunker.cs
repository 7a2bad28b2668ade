using System.Text;

namespace Realtime.Engine.Responses;

/// <summary>
/// Cuts streamed text into pieces worth synthesizing: at sentence ends, or at a clause break once the piece is long
/// enough, so the first audio starts while the model is still writing.
/// </summary>
public sealed class SpeechChunker
{
    private const int ClauseMinChars = 40;
    private const int HardMaxChars = 200;
    private readonly StringBuilder _pending = new();

    /// <summary>Adds text; returns the completed chunks (possibly none).</summary>
    public List<string> Push(string text)
    {
        var chunks = new List<string>();
        foreach (char c in text)
        {
            _pending.Append(c);
            bool sentenceEnd = c is '.' or '!' or '?' or '\n';
            bool clauseEnd = c is ',' or ';' or ':' && _pending.Length >= ClauseMinChars;
            bool tooLong = c == ' ' && _pending.Length >= HardMaxChars;
            if (sentenceEnd || clauseEnd || tooLong)
            {
                Take(chunks);
            }
        }

        return chunks;
    }

    /// <summary>Whatever is left at the end of the text.</summary>
    public string? Flush()
    {
        var chunks = new List<string>();
        Take(chunks);
        return chunks.Count == 0 ? null : chunks[0];
    }

    private void Take(List<string> chunks)
    {
        string chunk = _pending.ToString().Trim();
        _pending.Clear();
        if (chunk.Length > 0)
        {
            chunks.Add(chunk);
        }
    }
}
