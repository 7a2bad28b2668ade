using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Realtime.Engine.Backends.Builtin;

/// <summary>
/// Fills a tool's arguments from the user's words, guided by its JSON schema: required properties (or the
/// first one) get a value of the right type; strings take the place or thing the user named.
/// </summary>
internal static class EchoArguments
{
    private static readonly string[] Prepositions = ["in", "for", "at", "to", "about", "of", "on", "from", "near"];

    public static string Build(string? parametersJson, string userText)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (!string.IsNullOrWhiteSpace(parametersJson))
            {
                try
                {
                    using var schema = JsonDocument.Parse(parametersJson);
                    WriteProperties(writer, schema.RootElement, userText);
                }
                catch (JsonException)
                {
                    // A schema we cannot read: call the tool with no arguments rather than fail the turn.
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static void WriteProperties(Utf8JsonWriter writer, JsonElement schema, string userText)
    {
        if (schema.ValueKind != JsonValueKind.Object
            || !schema.TryGetProperty("properties", out var properties)
            || properties.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        var required = new List<string>();
        if (schema.TryGetProperty("required", out var requiredList) && requiredList.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in requiredList.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.String && properties.TryGetProperty(item.GetString()!, out _))
                {
                    required.Add(item.GetString()!);
                }
            }
        }

        if (required.Count == 0)
        {
            foreach (var property in properties.EnumerateObject())
            {
                required.Add(property.Name);
                break;
            }
        }

        foreach (var name in required)
        {
            writer.WritePropertyName(name);
            WriteValue(writer, properties.GetProperty(name), userText);
        }
    }

    private static void WriteValue(Utf8JsonWriter writer, JsonElement property, string userText)
    {
        if (property.ValueKind == JsonValueKind.Object && property.TryGetProperty("enum", out var choices)
            && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0)
        {
            var chosen = choices[0];
            foreach (var choice in choices.EnumerateArray())
            {
                if (choice.ValueKind == JsonValueKind.String && userText.Contains(choice.GetString()!, StringComparison.OrdinalIgnoreCase))
                {
                    chosen = choice;
                    break;
                }
            }

            chosen.WriteTo(writer);
            return;
        }

        var type = property.ValueKind == JsonValueKind.Object && property.TryGetProperty("type", out var t)
            && t.ValueKind == JsonValueKind.String ? t.GetString() : "string";
        switch (type)
        {
            case "integer":
                writer.WriteNumberValue((long)(FirstNumber(userText) ?? 1));
                break;
            case "number":
                writer.WriteNumberValue(FirstNumber(userText) ?? 1);
                break;
            case "boolean":
                writer.WriteBooleanValue(true);
                break;
            case "object":
                writer.WriteStartObject();
                WriteProperties(writer, property, userText);
                writer.WriteEndObject();
                break;
            case "array":
                writer.WriteStartArray();
                writer.WriteEndArray();
                break;
            default:
                writer.WriteStringValue(Subject(userText));
                break;
        }
    }

    /// <summary>
    /// What the user named: the words after the last "in"/"for"/... (up to a few, stopping at filler like
    /// "today"), else the first capitalized word after the first, else the whole text.
    /// </summary>
    internal static string Subject(string userText)
    {
        var tokens = userText.Split([' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries);
        for (var i = tokens.Length - 2; i >= 0; i--)
        {
            if (Array.IndexOf(Prepositions, Clean(tokens[i]).ToLowerInvariant()) < 0)
            {
                continue;
            }

            var words = new List<string>();
            for (var j = i + 1; j < tokens.Length && words.Count < 3; j++)
            {
                var word = Clean(tokens[j]);
                if (word.Length == 0 || (words.Count > 0 && !char.IsUpper(word[0])) || IsFiller(word))
                {
                    break;
                }

                words.Add(word);
                if (tokens[j].Length > 0 && char.IsPunctuation(tokens[j][^1]) && tokens[j][^1] != '\'')
                {
                    break;
                }
            }

            if (words.Count > 0 && !(words.Count == 1 && words[0] is "the" or "a" or "an"))
            {
                return string.Join(' ', words);
            }
        }

        for (var i = 1; i < tokens.Length; i++)
        {
            var word = Clean(tokens[i]);
            if (word.Length > 1 && char.IsUpper(word[0]))
            {
                return word;
            }
        }

        return userText.Trim();
    }

    private static bool IsFiller(string word) => word.ToLowerInvariant() is
        "today" or "tomorrow" or "now" or "please" or "right" or "tonight" or "yesterday" or "the" or "a" or "an";

    private static string Clean(string token) => token.Trim('.', ',', '?', '!', ';', ':', '"', '(', ')', '\'');

    private static double? FirstNumber(string text)
    {
        foreach (var token in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (double.TryParse(Clean(token), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }
}
