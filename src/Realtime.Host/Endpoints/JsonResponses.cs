using System.Text.Json;

namespace Realtime.Host.Endpoints;

/// <summary>JSON bodies of the REST endpoints, written with Utf8JsonWriter (no reflection), and OpenAI's error shape.</summary>
internal static class JsonResponses
{
    public static Task ErrorAsync(HttpContext context, int status, string? code, string message, string? param)
    {
        context.Response.StatusCode = status;
        return WriteAsync(context, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", "invalid_request_error");
            writer.WriteString("param", param);
            writer.WriteString("code", code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });
    }

    public static async Task WriteAsync(HttpContext context, Action<Utf8JsonWriter> write)
    {
        var body = new System.Buffers.ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(body))
        {
            write(writer);
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.WrittenCount;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }

    /// <summary>
    /// When keys are configured, the request must carry a real one as `Authorization: Bearer` (ephemeral `ek_` keys
    /// are for sockets only); otherwise answers 401 as the OpenAI API does and returns false.
    /// </summary>
    public static async Task<bool> AuthorizeAsync(HttpContext context)
    {
        var options = context.RequestServices.GetRequiredService<Microsoft.Extensions.Options.IOptions<Options.RealtimeServerOptions>>().Value;
        var keys = new Realtime.Wire.Http.ApiKeySet(options.ApiKeys);
        string? header = context.Request.Headers.Authorization;
        string? key = header is not null && header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        if (keys.IsOpen || (key is not null && keys.Contains(key)))
        {
            return true;
        }

        await ErrorAsync(context, 401, key is null ? null : "invalid_api_key",
            key is null ? "Missing bearer authentication in header" : "Incorrect API key provided.", null);
        return false;
    }
}
