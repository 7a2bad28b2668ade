using System.Text.Json;
using Realtime.Host.Engines;

namespace Realtime.Host.Operations;

/// <summary>`GET /readyz`: 200 when the engines have loaded, every built-in engine is ready and the server is not draining, else 503 with the reason.</summary>
internal static class ReadinessEndpoint
{
    public static async Task HandleAsync(HttpContext context)
    {
        BuiltinEngines engines = context.RequestServices.GetRequiredService<BuiltinEngines>();
        SessionRegistry registry = context.RequestServices.GetRequiredService<SessionRegistry>();
        EngineWarmup warmup = context.RequestServices.GetRequiredService<EngineWarmup>();
        var body = new System.Buffers.ArrayBufferWriter<byte>(256);
        bool ready = !registry.IsDraining;
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("draining", registry.IsDraining);
            writer.WriteNumber("sessions", registry.OpenCount);
            writer.WriteStartArray("not_ready");
            if (!warmup.IsReady)
            {
                ready = false;
                writer.WriteStringValue(warmup.Failure is null ? "engines loading" : "engines failed: " + warmup.Failure);
            }

            foreach (var (name, status) in engines.Status)
            {
                if (!status.Ready)
                {
                    // The engine and why (a missing package says which, and how to install it).
                    ready = false;
                    writer.WriteStringValue(name + ": " + status.Detail);
                }
            }

            if (warmup.IsReady)
            {
                foreach (var (profile, reason) in context.RequestServices.GetRequiredService<ProfileEngineResolver>().Unavailable)
                {
                    ready = false;
                    writer.WriteStringValue($"profile {profile} cannot serve: {reason}");
                }
            }

            writer.WriteEndArray();
            writer.WriteString("status", ready ? "ready" : "not_ready");
            writer.WriteEndObject();
        }

        context.Response.StatusCode = ready ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.WrittenCount;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted).ConfigureAwait(false);
    }
}
