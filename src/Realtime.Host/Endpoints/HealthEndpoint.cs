using System.Text.Json;
using Realtime.Host.Engines;

namespace Realtime.Host.Endpoints;

/// <summary>`GET /healthz`: the process is live; the body says which engines are ready and why any is not.</summary>
internal static class HealthEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        BuiltinEngines engines = context.RequestServices.GetRequiredService<BuiltinEngines>();
        var body = new System.Buffers.ArrayBufferWriter<byte>(256);
        using var writer = new Utf8JsonWriter(body);
        writer.WriteStartObject();
        writer.WriteString("status", "ok");
        writer.WriteStartObject("engines");
        foreach (var (name, status) in engines.Status.OrderBy(s => s.Key, StringComparer.Ordinal))
        {
            writer.WriteStartObject(name);
            writer.WriteBoolean("ready", status.Ready);
            writer.WriteString("detail", status.Detail);
            writer.WriteEndObject();
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.Flush();
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.WrittenCount;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }
}
