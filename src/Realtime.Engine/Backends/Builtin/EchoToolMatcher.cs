namespace Realtime.Engine.Backends.Builtin;

/// <summary>
/// Picks the tool the user's words point at: the full name, or its distinctive words ("weather" for
/// get_weather). Generic verbs like "get" alone do not count, or every question would call a tool.
/// </summary>
internal static class EchoToolMatcher
{
    private static readonly HashSet<string> GenericWords = new(StringComparer.Ordinal)
    {
        "get", "set", "list", "create", "update", "delete", "remove", "add", "fetch", "find", "search", "lookup",
        "look", "up", "do", "make", "send", "run", "call", "query", "check", "the", "a", "an", "of", "for", "to",
        "by", "and", "or", "info", "data", "current", "tool", "function",
    };

    /// <summary>The matching tool, or null. <paramref name="toolChoice"/> may force one or require any.</summary>
    public static ChatTool? Match(IReadOnlyList<ChatTool> tools, string toolChoice, string userText)
    {
        if (tools.Count == 0 || toolChoice == "none")
        {
            return null;
        }

        if (toolChoice is not ("auto" or "required" or ""))
        {
            foreach (var tool in tools)
            {
                if (string.Equals(tool.Name, toolChoice, StringComparison.Ordinal))
                {
                    return tool;
                }
            }
        }

        var textWords = EchoWords.OfText(userText);
        var compactText = string.Concat(textWords);
        ChatTool? best = null;
        var bestScore = 0;
        foreach (var tool in tools)
        {
            var score = Score(tool.Name, textWords, compactText);
            if (score > bestScore)
            {
                best = tool;
                bestScore = score;
            }
        }

        return best ?? (toolChoice == "required" ? tools[0] : null);
    }

    private static int Score(string name, List<string> textWords, string compactText)
    {
        var nameWords = EchoWords.OfIdentifier(name);
        var compactName = string.Concat(nameWords);
        if (compactName.Length > 0 && compactText.Contains(compactName, StringComparison.Ordinal))
        {
            return 100;
        }

        var score = 0;
        foreach (var word in nameWords)
        {
            if (word.Length < 3 || GenericWords.Contains(word))
            {
                continue;
            }

            foreach (var textWord in textWords)
            {
                // "weather's", "forecasts": a text word that starts with the tool word counts.
                if (textWord.StartsWith(word, StringComparison.Ordinal))
                {
                    score++;
                    break;
                }
            }
        }

        return score;
    }
}
