using Realtime.Wire.Connections;
using Realtime.Wire.Frames;
using Realtime.Wire.Http;

namespace Realtime.Host.Connections;

/// <summary>
/// What a connection with a wrong or missing key gets, like the hosted API (realtime-protocol.md §1.5): one
/// `error` event and close 3000 right after the upgrade; no session is created.
/// </summary>
internal static class AuthFailureSession
{
    public static IWebSocketSession Create(IMessageOutput output, AuthOutcome outcome, string? presentedKey) =>
        outcome == AuthOutcome.Invalid
            ? new RejectedSession(
                output,
                "invalid_api_key",
                $"Incorrect API key provided: {Mask(presentedKey ?? string.Empty)}. You can find your API key at https://platform.openai.com/account/api-keys.",
                CloseStatus.Unauthorized)
            : new RejectedSession(output, null, "Missing bearer or basic authentication in header", CloseStatus.Unauthorized);

    /// <summary>Shows only enough of a key to recognize it: a short prefix and the last 4 characters.</summary>
    internal static string Mask(string key) =>
        key.Length <= 12 ? "***" : string.Concat(key.AsSpan(0, Math.Min(6, key.Length - 8)), "***", key.AsSpan(key.Length - 4));
}
