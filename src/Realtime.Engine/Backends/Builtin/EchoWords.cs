namespace Realtime.Engine.Backends.Builtin;

/// <summary>Word splitting shared by the echo model's tool matching and argument filling.</summary>
internal static class EchoWords
{
    /// <summary>How many words <see cref="OfText"/> finds, without making them (token counts of every request).</summary>
    public static int Count(string text)
    {
        var count = 0;
        var start = -1;
        var letters = false;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'');
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                // A run of apostrophes alone trims to nothing and is not a word.
                count += letters ? 1 : 0;
                start = -1;
                letters = false;
            }

            letters |= inWord && text[i] != '\'';
        }

        return count;
    }

    /// <summary>Lowercase words of free text: runs of letters, digits and apostrophes.</summary>
    public static List<string> OfText(string text)
    {
        var words = new List<string>();
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var inWord = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'');
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                words.Add(text[start..i].Trim('\'').ToLowerInvariant());
                start = -1;
            }
        }

        words.RemoveAll(w => w.Length == 0);
        return words;
    }

    /// <summary>Lowercase words of an identifier: split on _, -, . and camelCase boundaries.</summary>
    public static List<string> OfIdentifier(string name)
    {
        var words = new List<string>();
        var start = 0;
        for (var i = 1; i <= name.Length; i++)
        {
            var boundary = i == name.Length
                || name[i] is '_' or '-' or '.'
                || (char.IsUpper(name[i]) && char.IsLower(name[i - 1]));
            if (boundary)
            {
                var word = name[start..i].Trim('_', '-', '.');
                if (word.Length > 0)
                {
                    words.Add(word.ToLowerInvariant());
                }

                start = i;
            }
        }

        return words;
    }
}
