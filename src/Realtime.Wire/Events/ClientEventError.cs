namespace Realtime.Wire.Events;

/// <summary>What an `error` event reports: `error.type`, `code`, `message` and the dotted `param` (null when none).</summary>
public sealed record ClientEventError(string Code, string Message, string? Param, string Type = "invalid_request_error")
{
    public static ClientEventError InvalidValue(string param, string message) => new("invalid_value", message, param);

    public static ClientEventError Missing(string param) => new("missing_required_parameter", $"Missing required parameter: '{param}'.", param);

    public static ClientEventError Unknown(string param) => new("unknown_parameter", $"Unknown parameter: '{param}'.", param);

    public static ClientEventError InvalidType(string param, string expected, string actual) =>
        new("invalid_type", $"Invalid type for '{param}': expected {expected}, but got {actual} instead.", param);
}
