namespace Realtime.Engines.Local.Espeak;

/// <summary>
/// Splits text into sentence-sized pieces: the synthesis thread takes one piece per turn so a long
/// answer from one session does not hold up the others.
/// </summary>
internal static class EspeakSentences
{
    /// <summary>Longer runs without a sentence end are cut at a comma or space.</summary>
    public const int MaxLength = 240;

    public static List<string> Split(string text)
    {
        var pieces = new List<string>();
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var end = c is '\n'
                || (c is '.' or '!' or '?' or ';' && (i + 1 == text.Length || char.IsWhiteSpace(text[i + 1])));
            if (end)
            {
                Add(pieces, text.AsSpan(start, i + 1 - start));
                start = i + 1;
            }
            else if (i + 1 - start >= MaxLength)
            {
                var span = text.AsSpan(start, i + 1 - start);
                var cut = span.LastIndexOfAny(',', ' ');
                var length = cut > 0 ? cut + 1 : span.Length;
                Add(pieces, text.AsSpan(start, length));
                start += length;
            }
        }

        Add(pieces, text.AsSpan(start));
        return pieces;
    }

    private static void Add(List<string> pieces, ReadOnlySpan<char> piece)
    {
        piece = piece.Trim();
        if (!piece.IsEmpty)
        {
            pieces.Add(piece.ToString());
        }
    }
}
