using System.Globalization;
using System.Text.Json;
using Realtime.Wire.Events;

namespace Realtime.Engine.Sessions;

/// <summary>Typed reads of client JSON with the hosted service's error codes and messages, naming the dotted path.</summary>
internal static class JsonRules
{
    public static RequestException Fail(ClientEventError error) => new(error);

    public static string String(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.String)
        {
            throw Fail(ClientEventError.InvalidType(path, "a string", Describe(value)));
        }

        return value.GetString()!;
    }

    public static string? NullableString(JsonElement value, string path) =>
        value.ValueKind == JsonValueKind.Null ? null : String(value, path);

    public static bool Boolean(JsonElement value, string path) => value.ValueKind switch
    {
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => throw Fail(ClientEventError.InvalidType(path, "a boolean", Describe(value))),
    };

    public static double Decimal(JsonElement value, string path, double min, double max)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            throw Fail(ClientEventError.InvalidType(path, "a decimal", Describe(value)));
        }

        double number = value.GetDouble();
        if (number < min)
        {
            throw Fail(new ClientEventError("decimal_below_min_value", $"Invalid '{path}': decimal below minimum value. Expected a value >= {Format(min)}, but got {Format(number)} instead.", path));
        }

        if (number > max)
        {
            throw Fail(new ClientEventError("decimal_above_max_value", $"Invalid '{path}': decimal above maximum value. Expected a value <= {Format(max)}, but got {Format(number)} instead.", path));
        }

        return number;
    }

    public static int Integer(JsonElement value, string path, long min, long max)
    {
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long number))
        {
            throw Fail(ClientEventError.InvalidType(path, "an integer", value.ValueKind == JsonValueKind.Number ? "a decimal" : Describe(value)));
        }

        if (number < min)
        {
            throw Fail(new ClientEventError("integer_below_min_value", $"Invalid '{path}': integer below minimum value. Expected a value >= {min}, but got {number} instead.", path));
        }

        if (number > max)
        {
            throw Fail(new ClientEventError("integer_above_max_value", $"Invalid '{path}': integer above maximum value. Expected a value <= {max}, but got {number} instead.", path));
        }

        return (int)number;
    }

    public static string Enum(JsonElement value, string path, params string[] allowed)
    {
        string text = String(value, path);
        foreach (string candidate in allowed)
        {
            if (candidate == text)
            {
                return candidate;
            }
        }

        throw Fail(ClientEventError.InvalidValue(path, $"Invalid value: '{text}'. Supported values are: {List(allowed)}."));
    }

    public static void Object(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Fail(ClientEventError.InvalidType(path, "an object", Describe(value)));
        }
    }

    public static void Array(JsonElement value, string path)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Fail(ClientEventError.InvalidType(path, "an array", Describe(value)));
        }
    }

    public static JsonElement Required(JsonElement parent, string name, string path)
    {
        if (!parent.TryGetProperty(name, out JsonElement value))
        {
            throw Fail(ClientEventError.Missing(path));
        }

        return value;
    }

    /// <summary>`max_output_tokens`: integer 1–4096 or "inf" (null = unlimited).</summary>
    public static int? MaxTokens(JsonElement value, string path)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            Enum(value, path, "inf");
            return null;
        }

        return Integer(value, path, 1, 4096);
    }

    public static string List(string[] allowed)
    {
        if (allowed.Length == 1)
        {
            return $"'{allowed[0]}'";
        }

        return string.Join(", ", allowed[..^1].Select(a => $"'{a}'")) + $", and '{allowed[^1]}'";
    }

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Format(double value) => value.ToString("0.0##", CultureInfo.InvariantCulture);
}
