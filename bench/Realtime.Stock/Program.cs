using System.Net;
using Realtime.Stock;

// STOCK ASP.NET Core, not the product: the Realtime protocol subset the overhead harness drives (session.created,
// session.update, input_audio_buffer.append/clear, response.create with a canned text answer), written the way the
// ASP.NET Core WebSocket docs show it: `UseWebSockets()`, `ReceiveAsync` into a buffer, `JsonDocument` in,
// `JsonSerializer` out, default logging from appsettings.json. Neither tuned nor slowed on purpose. It exists so
// scripts/overhead.sh can put this project's per-response, per-session and per-append cost beside it, same machine,
// same run. Configuration: Stock:ApiKey (Bearer key, optional).
WebApplicationBuilder builder = WebApplication.CreateBuilder(args);
string? apiKey = builder.Configuration["Stock:ApiKey"];
WebApplication app = builder.Build();

app.UseWebSockets();
app.MapGet("/healthz", () => "ok");

// The same loopback-only contract as the real server's diagnostics endpoint: forced full GC, then live managed bytes.
app.MapGet("/diagnostics/memory", (HttpContext context) =>
{
    if (context.Connection.RemoteIpAddress is not { } peer || !IPAddress.IsLoopback(peer))
    {
        return Results.NotFound();
    }

    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    GC.WaitForPendingFinalizers();
    GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
    GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
    return Results.Json(new MemoryReport(info.HeapSizeBytes - info.FragmentedBytes, Environment.WorkingSet), StockJsonContext.Default.MemoryReport);
});

// Runtime counters without a GC, the same contract as the real server's: allocations, thread-pool items, lock contentions.
app.MapGet("/diagnostics/runtime", (HttpContext context) => context.Connection.RemoteIpAddress is { } peer && IPAddress.IsLoopback(peer)
    ? Results.Json(new RuntimeReport(GC.GetTotalAllocatedBytes(false), GC.CollectionCount(0), ThreadPool.CompletedWorkItemCount, ThreadPool.ThreadCount, Monitor.LockContentionCount), StockJsonContext.Default.RuntimeReport)
    : Results.NotFound());

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
    await new StockSession(socket).RunAsync(context.RequestAborted);
});

await app.RunAsync();
