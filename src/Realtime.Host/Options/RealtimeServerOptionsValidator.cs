using Microsoft.Extensions.Options;

namespace Realtime.Host.Options;

/// <summary>Checks <see cref="RealtimeServerOptions"/> at startup and names every bad key in one message.</summary>
internal sealed class RealtimeServerOptionsValidator(IConfiguration configuration) : IValidateOptions<RealtimeServerOptions>
{
    private const long RequiredMessageBytes = 21 * 1024 * 1024;

    private static readonly string[] LimitKeys = ["MaxMessageBytes", "MaxHandshakeHeaderBytes", "OutgoingFragmentBytes", "MaxPendingOutputBytes", "MaxConcurrentSessions", "MaxSessionsPerApiKey", "MaxEventsPerSecond", "DrainGracePeriodSeconds", "DrainDelaySeconds", "MaxAppendBytes", "MaxBufferedAudioBytes", "MaxConversationItems", "MaxConversationBytes"];
    private static readonly string[] WebSocketKeys = ["KeepAliveIntervalSeconds", "KeepAliveTimeoutSeconds", "CloseTimeoutSeconds", "InlineScheduling", "DirectAccept"];
    private static readonly string[] ClientSecretKeys = ["SigningKeys"];

    public ValidateOptionsResult Validate(string? name, RealtimeServerOptions options)
    {
        var failures = new List<string>();
        // A misspelled key would silently keep its default; say so instead.
        RejectUnknown(failures, "Realtime:Limits", LimitKeys);
        RejectUnknown(failures, "Realtime:WebSocket", WebSocketKeys);
        RejectUnknown(failures, "Realtime:ClientSecrets", ClientSecretKeys);
        RealtimeLimitsOptions limits = options.Limits;
        if (limits.MaxMessageBytes < RequiredMessageBytes || limits.MaxMessageBytes > Array.MaxLength)
        {
            failures.Add($"Realtime:Limits:MaxMessageBytes must be between {RequiredMessageBytes} (21 MiB, what clients may send) and {Array.MaxLength}; got {limits.MaxMessageBytes}.");
        }

        if (limits.MaxHandshakeHeaderBytes is < 1024 or > 1024 * 1024)
        {
            failures.Add($"Realtime:Limits:MaxHandshakeHeaderBytes must be between 1024 and 1048576; got {limits.MaxHandshakeHeaderBytes}.");
        }

        if (limits.OutgoingFragmentBytes is < 126 or > 1024 * 1024)
        {
            failures.Add($"Realtime:Limits:OutgoingFragmentBytes must be between 126 and 1048576 (clients reject frames over 1 MiB); got {limits.OutgoingFragmentBytes}.");
        }

        if (limits.MaxPendingOutputBytes < 64 * 1024)
        {
            failures.Add($"Realtime:Limits:MaxPendingOutputBytes must be at least 65536; got {limits.MaxPendingOutputBytes}.");
        }

        if (limits.MaxConcurrentSessions < 0 || limits.MaxSessionsPerApiKey < 0 || limits.MaxEventsPerSecond < 0)
        {
            failures.Add($"Realtime:Limits:MaxConcurrentSessions, MaxSessionsPerApiKey and MaxEventsPerSecond must be 0 (unlimited) or positive; got {limits.MaxConcurrentSessions}, {limits.MaxSessionsPerApiKey}, {limits.MaxEventsPerSecond}.");
        }

        if (limits.DrainGracePeriodSeconds is < 0 or > 3600 || double.IsNaN(limits.DrainGracePeriodSeconds))
        {
            failures.Add($"Realtime:Limits:DrainGracePeriodSeconds must be between 0 and 3600; got {limits.DrainGracePeriodSeconds}.");
        }

        if (limits.DrainDelaySeconds is < 0 or > 300 || double.IsNaN(limits.DrainDelaySeconds))
        {
            failures.Add($"Realtime:Limits:DrainDelaySeconds must be between 0 and 300; got {limits.DrainDelaySeconds}.");
        }

        ValidateSessionLimits(failures, limits);
        RealtimeWebSocketOptions socket = options.WebSocket;
        if (socket.KeepAliveIntervalSeconds is < 0 or > 3600 || double.IsNaN(socket.KeepAliveIntervalSeconds))
        {
            failures.Add($"Realtime:WebSocket:KeepAliveIntervalSeconds must be between 0 (off) and 3600; got {socket.KeepAliveIntervalSeconds}.");
        }

        if (socket.KeepAliveTimeoutSeconds is < 0 or > 3600 || double.IsNaN(socket.KeepAliveTimeoutSeconds))
        {
            failures.Add($"Realtime:WebSocket:KeepAliveTimeoutSeconds must be between 0 (never) and 3600; got {socket.KeepAliveTimeoutSeconds}.");
        }

        if (socket.CloseTimeoutSeconds is <= 0 or > 300 || double.IsNaN(socket.CloseTimeoutSeconds))
        {
            failures.Add($"Realtime:WebSocket:CloseTimeoutSeconds must be greater than 0 and at most 300; got {socket.CloseTimeoutSeconds}.");
        }

        for (int i = 0; i < options.ApiKeys.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(options.ApiKeys[i]) || options.ApiKeys[i].Any(char.IsWhiteSpace))
            {
                failures.Add($"Realtime:ApiKeys:{i} must be a non-empty key without whitespace.");
            }
        }

        string[] signingKeys = options.ClientSecrets.SigningKeys;
        for (int i = 0; i < signingKeys.Length; i++)
        {
            if (ClientSecrets.ClientSecretIssuer.DecodeKey(signingKeys[i]) is null)
            {
                // The key itself is never echoed: it is a secret.
                failures.Add($"Realtime:ClientSecrets:SigningKeys:{i} must be base64 of at least {ClientSecrets.ClientSecretIssuer.MinKeyBytes} bytes (e.g. `openssl rand -base64 32`).");
            }
        }

        for (int i = 0; i < options.AllowedOrigins.Length; i++)
        {
            string origin = options.AllowedOrigins[i];
            if (!Uri.TryCreate(origin, UriKind.Absolute, out Uri? parsed) || parsed.Scheme is not ("http" or "https")
                || parsed.GetLeftPart(UriPartial.Authority) != origin.TrimEnd('/'))
            {
                failures.Add($"Realtime:AllowedOrigins:{i} must be an origin like https://app.example.com (scheme, host and optional port only); got '{origin}'.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateSessionLimits(List<string> failures, RealtimeLimitsOptions limits)
    {
        // An append travels as base64 (4 bytes per 3) inside a JSON event that must fit in one message.
        long largestAppend = (limits.MaxMessageBytes - 1024) / 4 * 3;
        if (limits.MaxAppendBytes < 1 || limits.MaxAppendBytes > largestAppend)
        {
            failures.Add($"Realtime:Limits:MaxAppendBytes must be between 1 and {largestAppend} (its base64 must fit in MaxMessageBytes); got {limits.MaxAppendBytes}.");
        }

        if (limits.MaxBufferedAudioBytes < limits.MaxAppendBytes)
        {
            failures.Add($"Realtime:Limits:MaxBufferedAudioBytes must be at least MaxAppendBytes ({limits.MaxAppendBytes}), or no append of that size could be taken; got {limits.MaxBufferedAudioBytes}.");
        }

        if (limits.MaxConversationItems is < 1 or > 1_000_000)
        {
            failures.Add($"Realtime:Limits:MaxConversationItems must be between 1 and 1000000; got {limits.MaxConversationItems}.");
        }

        if (limits.MaxConversationBytes < 1024 || limits.MaxConversationBytes > 64L * 1024 * 1024 * 1024)
        {
            failures.Add($"Realtime:Limits:MaxConversationBytes must be between 1024 and 68719476736 (64 GiB); got {limits.MaxConversationBytes}.");
        }
    }

    private void RejectUnknown(List<string> failures, string section, string[] known)
    {
        foreach (IConfigurationSection child in configuration.GetSection(section).GetChildren())
        {
            if (!known.Contains(child.Key, StringComparer.OrdinalIgnoreCase))
            {
                failures.Add($"{section}:{child.Key} is not a known setting (known: {string.Join(", ", known)}).");
            }
        }
    }
}
