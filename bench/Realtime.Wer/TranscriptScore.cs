namespace Realtime.Wer;

/// <summary>
/// A hypothesis aligned word by word with its reference (minimum edit distance): hits, substitutions, deletions and
/// insertions. "Words right" is hits / reference words; word error rate is (S + D + I) / reference words.
/// </summary>
public readonly record struct TranscriptScore(int Words, int Hits, int Substitutions, int Deletions, int Insertions)
{
    public int Errors => Substitutions + Deletions + Insertions;

    public double WordsRight => Words == 0 ? 0 : (double)Hits / Words;

    public double ErrorRate => Words == 0 ? 0 : (double)Errors / Words;

    public static TranscriptScore operator +(TranscriptScore a, TranscriptScore b) =>
        new(a.Words + b.Words, a.Hits + b.Hits, a.Substitutions + b.Substitutions, a.Deletions + b.Deletions, a.Insertions + b.Insertions);

    public static TranscriptScore Of(string reference, string hypothesis) =>
        Align(TranscriptWords.Normalize(reference), TranscriptWords.Normalize(hypothesis));

    public static TranscriptScore Align(IReadOnlyList<string> reference, IReadOnlyList<string> hypothesis)
    {
        int n = reference.Count;
        int m = hypothesis.Count;
        // cost[i, j]: edits turning the first i reference words into the first j hypothesis words.
        var cost = new int[n + 1, m + 1];
        for (int i = 0; i <= n; i++)
        {
            cost[i, 0] = i;
        }

        for (int j = 0; j <= m; j++)
        {
            cost[0, j] = j;
        }

        for (int i = 1; i <= n; i++)
        {
            for (int j = 1; j <= m; j++)
            {
                int diagonal = cost[i - 1, j - 1] + (reference[i - 1] == hypothesis[j - 1] ? 0 : 1);
                cost[i, j] = Math.Min(diagonal, Math.Min(cost[i - 1, j] + 1, cost[i, j - 1] + 1));
            }
        }

        // Walk back to count each kind of edit (ties prefer a match or substitution).
        int hits = 0, substitutions = 0, deletions = 0, insertions = 0;
        for (int i = n, j = m; i > 0 || j > 0;)
        {
            if (i > 0 && j > 0 && cost[i, j] == cost[i - 1, j - 1] + (reference[i - 1] == hypothesis[j - 1] ? 0 : 1))
            {
                if (reference[i - 1] == hypothesis[j - 1])
                {
                    hits++;
                }
                else
                {
                    substitutions++;
                }

                i--;
                j--;
            }
            else if (i > 0 && cost[i, j] == cost[i - 1, j] + 1)
            {
                deletions++;
                i--;
            }
            else
            {
                insertions++;
                j--;
            }
        }

        return new TranscriptScore(n, hits, substitutions, deletions, insertions);
    }
}
