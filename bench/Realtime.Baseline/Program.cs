using System.Net;
using System.Text.Json.Nodes;
using Grpc.Net.Client;
using Realtime.Baseline;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Builtin;
using Realtime.Engine.Backends.Grpc.Protocol;
using Realtime.Engines.Local.Silero;

// BASELINE, not the product. What a competent developer would write first for the same job: ASP.NET Core
// `UseWebSockets()`, `WebSocket.ReceiveAsync` into a MemoryStream, System.Text.Json DOM in (JsonNode) and
// JsonSerializer/JsonNode out, `Convert.FromBase64String`/`ToBase64String`, Grpc.Net.Client for the backend. It does
// the same event work the load generator exercises (session.created/updated, append, server_vad turns, STT -> LLM
// stream -> TTS stream, audio deltas, response.done). It uses the SAME Silero detector, TurnDetector and resampler
// as the real server (Realtime.Engine), so a comparison measures only the wire and event layer. Not slowed on
// purpose. Configuration: Baseline:Backend (grpc://host:port), Baseline:SileroModelPath, Baseline:ApiKey,
// Baseline:Vad=energy (the energy detector instead of Silero, to measure what VAD costs).
WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
string backendUri = builder.Configuration["Baseline:Backend"] ?? throw new InvalidOperationException("Baseline:Backend (grpc://host:port) is required");
string sileroPath = builder.Configuration["Baseline:SileroModelPath"] ?? "models/silero_vad_v5.onnx";
string? apiKey = builder.Configuration["Baseline:ApiKey"];
builder.Services.AddSingleton<ISpeechDetector>(builder.Configuration["Baseline:Vad"] == "energy" ? new EnergySpeechDetector() : new SileroSpeechDetector(sileroPath));
builder.Services.AddSingleton(GrpcChannel.ForAddress(backendUri.Replace("grpc://", "http://", StringComparison.Ordinal)));
WebApplication app = builder.Build();

var backend = new Backend.BackendClient(app.Services.GetRequiredService<GrpcChannel>());
foreach (string model in new[] { "instant" })
{
    await backend.LoadModelAsync(new ModelOptions { Model = model });
}

app.UseWebSockets();
app.MapGet("/healthz", () => "ok");

// Same contract as the real server's gated diagnostics endpoint: loopback only, forced full GC, managed heap.
app.MapGet("/diagnostics/memory", (HttpContext context) =>
{
    if (context.Connection.RemoteIpAddress is not { } peer || !IPAddress.IsLoopback(peer))
    {
        return Results.NotFound();
    }

    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    var body = new JsonObject { ["managed_heap_bytes"] = LiveHeapBytes(), ["working_set_bytes"] = Environment.WorkingSet };
    return Results.Text(body.ToJsonString(), "application/json");
});

app.Map("/v1/realtime", async (HttpContext context) =>
{
    if (!context.WebSockets.IsWebSocketRequest)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return;
    }

    if (apiKey is not null && context.Request.Headers.Authorization != "Bearer " + apiKey)
    {
        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        return;
    }

    using var socket = await context.WebSockets.AcceptWebSocketAsync();
    var session = new BaselineSession(socket, context.RequestServices.GetRequiredService<ISpeechDetector>(), backend);
    await session.RunAsync(context.RequestAborted);
});

await app.RunAsync();

// Live bytes after the forced full compacting GC, measured the same way as the real server's endpoint.
static long LiveHeapBytes()
{
    GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
    return info.HeapSizeBytes - info.FragmentedBytes;
}
