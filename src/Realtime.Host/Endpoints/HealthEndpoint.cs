using System.Text.Json;
using Realtime.Host.Engines;

namespace Realtime.Host.Endpoints;

/// <summary>`GET /healthz`: the process is live; the body says which engines are ready and why any is not.</summary>
internal static class HealthEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        BuiltinEngines engines = context.RequestServices.GetRequiredService<BuiltinEngines>();
        context.Response.ContentType = "application/json";
        await using var writer = new Utf8JsonWriter(context.Response.BodyWriter);
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
        await writer.FlushAsync(context.RequestAborted);
    }
}
