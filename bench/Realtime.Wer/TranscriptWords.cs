using System.Text;

namespace Realtime.Wer;

/// <summary>
/// Normalisation before scoring: lower case, punctuation dropped (apostrophes kept inside words), numbers written
/// out ("5" -> "five", "21" -> "twenty one"), so "Five" / "five" / "5," all count as the same word.
/// </summary>
public static class TranscriptWords
{
    private static readonly string[] Ones =
    [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ];

    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];

    public static List<string> Normalize(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        foreach (char c in text.ToLowerInvariant() + " ")
        {
            if (char.IsLetterOrDigit(c) || (c == '\'' && word.Length > 0))
            {
                word.Append(c);
                continue;
            }

            Flush(word, words);
        }

        return words;
    }

    private static void Flush(StringBuilder word, List<string> words)
    {
        string w = word.ToString().Trim('\'');
        word.Clear();
        if (w.Length == 0)
        {
            return;
        }

        if (w.All(char.IsAsciiDigit) && w.Length <= 6)
        {
            SpellNumber(int.Parse(w, System.Globalization.CultureInfo.InvariantCulture), words);
        }
        else
        {
            words.Add(w);
        }
    }

    /// <summary>English number words, without "and" (what recognizers write for spoken numbers).</summary>
    internal static void SpellNumber(int value, List<string> words)
    {
        if (value >= 1000)
        {
            SpellNumber(value / 1000, words);
            words.Add("thousand");
            if (value % 1000 != 0)
            {
                SpellNumber(value % 1000, words);
            }

            return;
        }

        if (value >= 100)
        {
            words.Add(Ones[value / 100]);
            words.Add("hundred");
            if (value % 100 != 0)
            {
                SpellNumber(value % 100, words);
            }

            return;
        }

        if (value < 20)
        {
            words.Add(Ones[value]);
            return;
        }

        words.Add(Tens[value / 10]);
        if (value % 10 != 0)
        {
            words.Add(Ones[value % 10]);
        }
    }
}
