using System.Text.Json;
using Realtime.Engine.Sessions;
using Realtime.Host.Endpoints;
using Realtime.Wire.Events;
using Realtime.Wire.Http;

namespace Realtime.Host.ClientSecrets;

/// <summary>
/// `POST /v1/realtime/client_secrets` (GA) and `POST /v1/realtime/sessions` (beta): a server holding a real key
/// mints a short-lived `ek_` key bound to a session configuration, as the OpenAI API does, and hands it to a browser.
/// </summary>
internal static class ClientSecretEndpoints
{
    /// <summary>OpenAI's limits for `expires_after.seconds`; the default is ten minutes.</summary>
    private const int MinSeconds = 10;
    private const int MaxSeconds = 7200;
    private const int DefaultSeconds = 600;

    /// <summary>Beta session tokens live one minute.</summary>
    private static readonly TimeSpan BetaLifetime = TimeSpan.FromMinutes(1);

    public static void Map(WebApplication app)
    {
        app.MapPost("/v1/realtime/client_secrets", MintGaAsync);
        app.MapPost("/v1/realtime/sessions", MintBetaAsync);
    }

    private static async Task MintGaAsync(HttpContext context)
    {
        if (await ReadAuthorizedBodyAsync(context) is not { } body)
        {
            return;
        }

        int seconds = DefaultSeconds;
        JsonElement? session = null;
        if (body.ValueKind == JsonValueKind.Object)
        {
            if (body.TryGetProperty("expires_after", out JsonElement after) && after.ValueKind == JsonValueKind.Object
                && after.TryGetProperty("seconds", out JsonElement secondsValue))
            {
                if (!secondsValue.TryGetInt32(out seconds) || seconds is < MinSeconds or > MaxSeconds)
                {
                    await JsonResponses.ErrorAsync(context, 400, "invalid_value", $"expires_after.seconds must be an integer from {MinSeconds} to {MaxSeconds}.", "expires_after.seconds");
                    return;
                }
            }

            if (body.TryGetProperty("session", out JsonElement given) && given.ValueKind != JsonValueKind.Null)
            {
                session = given;
            }
        }

        bool transcription = session is { } s && s.ValueKind == JsonValueKind.Object
            && s.TryGetProperty("type", out JsonElement type) && type.ValueKind == JsonValueKind.String && type.GetString() == "transcription";
        if (session is { } toCheck && SessionConfigValidator.Validate(toCheck, Dialect.Ga, transcription) is { } error)
        {
            await JsonResponses.ErrorAsync(context, 400, error.Code, error.Message, error.Param is null ? "session" : "session." + error.Param.Replace("session.", string.Empty, StringComparison.Ordinal));
            return;
        }

        if (await MintAsync(context, session, Dialect.Ga, TimeSpan.FromSeconds(seconds), "session") is not { } secret)
        {
            return;
        }

        await JsonResponses.WriteAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("value", secret.Value);
            writer.WriteNumber("expires_at", secret.ExpiresAt.ToUnixTimeSeconds());
            writer.WritePropertyName("session");
            if (session is { } echoed)
            {
                echoed.WriteTo(writer);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("type", "realtime");
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        });
    }

    private static async Task MintBetaAsync(HttpContext context)
    {
        if (await ReadAuthorizedBodyAsync(context) is not { } body)
        {
            return;
        }

        JsonElement? session = body.ValueKind == JsonValueKind.Object ? body : null;
        if (session is { } toCheck && SessionConfigValidator.Validate(toCheck, Dialect.Beta, transcription: false) is { } error)
        {
            await JsonResponses.ErrorAsync(context, 400, error.Code, error.Message, error.Param);
            return;
        }

        if (await MintAsync(context, session, Dialect.Beta, BetaLifetime, null) is not { } secret)
        {
            return;
        }

        await JsonResponses.WriteAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("id", "sess_" + secret.Id);
            writer.WriteString("object", "realtime.session");
            if (session is { } given)
            {
                foreach (JsonProperty property in given.EnumerateObject())
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteStartObject("client_secret");
            writer.WriteString("value", secret.Value);
            writer.WriteNumber("expires_at", secret.ExpiresAt.ToUnixTimeSeconds());
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    /// <summary>The signed key, or null (answered 400) when the configuration would make it too long for a handshake header.</summary>
    private static async Task<MintedSecret?> MintAsync(HttpContext context, JsonElement? session, Dialect dialect, TimeSpan lifetime, string? param)
    {
        MintedSecret secret = context.RequestServices.GetRequiredService<ClientSecretIssuer>().Mint(session, dialect, lifetime);
        if (secret.Value.Length > ClientSecretIssuer.MaxKeyChars)
        {
            await JsonResponses.ErrorAsync(context, 400, "invalid_value", $"The session configuration is too large for a client secret ({secret.Value.Length} characters signed; at most {ClientSecretIssuer.MaxKeyChars}). Shorten the instructions or tools, or send them with session.update after connecting.", param);
            return null;
        }

        return secret;
    }

    /// <summary>Minting needs a real key (never an ephemeral one) whenever keys are configured; the body must be JSON (or empty).</summary>
    private static async Task<JsonElement?> ReadAuthorizedBodyAsync(HttpContext context)
    {
        if (!await JsonResponses.AuthorizeAsync(context))
        {
            return null;
        }

        try
        {
            using JsonDocument document = await JsonDocument.ParseAsync(context.Request.Body, default, context.RequestAborted);
            return document.RootElement.Clone();
        }
        catch (JsonException) when (context.Request.ContentLength is 0 or null)
        {
            return default(JsonElement);
        }
        catch (JsonException e)
        {
            await JsonResponses.ErrorAsync(context, 400, "invalid_json", "The body is not valid JSON: " + e.Message, null);
            return null;
        }
    }
}
