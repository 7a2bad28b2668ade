namespace Realtime.Engine.TurnDetection;

/// <summary>
/// semantic_vad's end-of-turn decision: how long a pause (silence after Silero speech) must last before the turn
/// ends, from the partial transcript of the turn so far and the session's eagerness.
/// </summary>
/// <remarks>
/// The partial transcript is sorted into three cases:
/// <list type="bullet">
/// <item>complete: it ends with <c>.</c>, <c>?</c> or <c>!</c> (not an ellipsis) — the user finished a sentence;</item>
/// <item>incomplete: it ends with a comma, colon, semicolon, dash or ellipsis, or its last word is a conjunction,
/// preposition, article or filler ("and", "but", "like", "the", "to", "um", …) — the user is mid-clause;</item>
/// <item>neutral: anything else, including no transcript yet (recognizers without punctuation land here).</item>
/// </list>
/// Hold-offs in ms (low / medium / high): complete 1000 / 500 / 250, neutral 1500 / 600 / 400, incomplete
/// 8000 / 4000 / 2000 — the spec's maximum timeouts, so a turn always ends by then.
/// </remarks>
public static class SemanticTurnPolicy
{
    /// <summary>Words after which a sentence cannot end: conjunctions, prepositions, articles, fillers.</summary>
    private static readonly string[] DanglingWords =
    [
        "and", "but", "or", "so", "because", "if", "that", "which", "who", "when", "while", "then", "than",
        "like", "the", "a", "an", "my", "your", "to", "of", "in", "on", "at", "for", "with", "from", "about",
        "into", "by", "as", "um", "uh", "er", "erm", "hmm",
    ];

    /// <summary>Milliseconds of silence that end the turn.</summary>
    public static int HoldOffMs(ReadOnlySpan<char> partialTranscript, TurnEagerness eagerness) =>
        Classify(partialTranscript) switch
        {
            TranscriptEnding.Complete => eagerness switch { TurnEagerness.Low => 1000, TurnEagerness.High => 250, _ => 500 },
            TranscriptEnding.Incomplete => MaxTimeoutMs(eagerness),
            _ => eagerness switch { TurnEagerness.Low => 1500, TurnEagerness.High => 400, _ => 600 },
        };

    /// <summary>The spec's maximum end-of-turn timeout per eagerness (8 s / 4 s / 2 s).</summary>
    public static int MaxTimeoutMs(TurnEagerness eagerness) =>
        eagerness switch { TurnEagerness.Low => 8000, TurnEagerness.High => 2000, _ => 4000 };

    /// <summary>Parses the protocol's eagerness value; <c>auto</c> and unknown values are medium.</summary>
    public static TurnEagerness ParseEagerness(string? value) => value switch
    {
        "low" => TurnEagerness.Low,
        "high" => TurnEagerness.High,
        _ => TurnEagerness.Medium,
    };

    internal static TranscriptEnding Classify(ReadOnlySpan<char> text)
    {
        text = text.TrimEnd();
        if (text.IsEmpty)
        {
            return TranscriptEnding.Neutral;
        }

        char last = text[^1];
        if (text.EndsWith("...", StringComparison.Ordinal) || last is '…' or ',' or ';' or ':' or '-' or '–' or '—')
        {
            return TranscriptEnding.Incomplete;
        }

        if (last is '.' or '?' or '!')
        {
            return TranscriptEnding.Complete;
        }

        int start = text.Length;
        while (start > 0 && (char.IsLetter(text[start - 1]) || text[start - 1] == '\''))
        {
            start--;
        }

        ReadOnlySpan<char> word = text[start..];
        foreach (string dangling in DanglingWords)
        {
            if (word.Equals(dangling, StringComparison.OrdinalIgnoreCase))
            {
                return TranscriptEnding.Incomplete;
            }
        }

        return TranscriptEnding.Neutral;
    }
}
