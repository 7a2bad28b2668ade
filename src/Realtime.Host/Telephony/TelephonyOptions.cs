using System.Globalization;
using System.Text.Json;
using Realtime.Engine.Sessions;

namespace Realtime.Host.Telephony;

/// <summary>
/// `Realtime:Telephony`: how phone calls reach sessions. Read once at start; a bad value stops the start naming its key.
/// </summary>
internal sealed class TelephonyOptions
{
    public const string SectionName = "Realtime:Telephony";

    /// <summary>Host (and optional port) the phone provider reaches this server at, e.g. `voice.example.com`; the TwiML's stream URL and the signature check use it.</summary>
    public string? PublicHost { get; init; }

    /// <summary>Twilio auth token: when set, the TwiML webhook accepts only requests with a valid X-Twilio-Signature.</summary>
    public string? TwilioAuthToken { get; init; }

    /// <summary>HTTP(S) endpoint that runs the configured tools: POST {name, arguments, call_id, callSid}, the response body is the output.</summary>
    public Uri? ToolWebhook { get; init; }

    public TimeSpan ToolTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Function tools offered to the model on every call (besides the built-in end_call).</summary>
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>Digits pressed within this long of each other reach the model as one message.</summary>
    public TimeSpan DtmfBatch { get; init; } = TimeSpan.FromMilliseconds(800);

    /// <summary>A stream that sends no `start` within this long is closed.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>After end_call, the stream closes once the goodbye has played, at the latest after this long.</summary>
    public TimeSpan HangUpTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public static TelephonyOptions From(IConfiguration configuration)
    {
        IConfigurationSection section = configuration.GetSection(SectionName);
        var tools = new List<ToolDefinition>();
        foreach (IConfigurationSection tool in section.GetSection("Tools").GetChildren())
        {
            string key = $"{SectionName}:Tools:{tool.Key}";
            string name = tool["Name"] is { Length: > 0 } n ? n : throw new InvalidOperationException($"{key}:Name is required.");
            if (name == TwilioCall.EndCallTool)
            {
                throw new InvalidOperationException($"{key}:Name '{name}' is the built-in tool; choose another name.");
            }

            string? parameters = tool["Parameters"];
            if (parameters is not null)
            {
                try
                {
                    using JsonDocument document = JsonDocument.Parse(parameters);
                    if (document.RootElement.ValueKind != JsonValueKind.Object)
                    {
                        throw new InvalidOperationException($"{key}:Parameters must be a JSON Schema object.");
                    }
                }
                catch (JsonException e)
                {
                    throw new InvalidOperationException($"{key}:Parameters is not valid JSON: {e.Message}", e);
                }
            }

            tools.Add(new ToolDefinition(name, tool["Description"], parameters));
        }

        Uri? webhook = null;
        if (section["ToolWebhook"] is { Length: > 0 } url
            && (!Uri.TryCreate(url, UriKind.Absolute, out webhook) || webhook.Scheme is not ("http" or "https")))
        {
            throw new InvalidOperationException($"{SectionName}:ToolWebhook must be an absolute http(s) URL, not '{url}'.");
        }

        return new TelephonyOptions
        {
            PublicHost = section["PublicHost"] is { Length: > 0 } host ? host.Trim().TrimEnd('/') : null,
            TwilioAuthToken = section["TwilioAuthToken"] is { Length: > 0 } token ? token : null,
            ToolWebhook = webhook,
            ToolTimeout = TimeSpan.FromMilliseconds(ReadMs(section, "ToolTimeoutMs", 10_000, 100, 600_000)),
            Tools = tools,
            DtmfBatch = TimeSpan.FromMilliseconds(ReadMs(section, "DtmfBatchMs", 800, 0, 10_000)),
            StartTimeout = TimeSpan.FromMilliseconds(ReadMs(section, "StartTimeoutMs", 10_000, 100, 600_000)),
            HangUpTimeout = TimeSpan.FromMilliseconds(ReadMs(section, "HangUpTimeoutMs", 30_000, 100, 600_000)),
        };
    }

    private static int ReadMs(IConfigurationSection section, string key, int fallback, int min, int max)
    {
        string? text = section[key];
        return text is null ? fallback
            : int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min && n <= max ? n
            : throw new InvalidOperationException($"{SectionName}:{key} must be a whole number from {min} to {max}, not '{text}'.");
    }
}
