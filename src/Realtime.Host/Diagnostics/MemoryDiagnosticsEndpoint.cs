using System.Net;
using System.Text.Json;

namespace Realtime.Host.Diagnostics;

/// <summary>
/// `GET /diagnostics/memory`, for the load generator (bench/Realtime.Load): forces a full blocking, compacting GC
/// and answers the managed heap that survives it, so idle memory per session can be measured from outside.
/// </summary>
/// <remarks>
/// Off by default: a forced GC on demand pauses every session, so it is mapped only when
/// <c>Realtime:Diagnostics:Enabled=true</c>, and even then it answers 404 to any peer that is not loopback.
/// </remarks>
internal static class MemoryDiagnosticsEndpoint
{
    public const string EnabledKey = "Realtime:Diagnostics:Enabled";
    public const string Path = "/diagnostics/memory";

    /// <summary>Maps the endpoint when enabled in configuration; otherwise the path stays unknown (404).</summary>
    public static void Map(WebApplication app)
    {
        if (bool.TryParse(app.Configuration[EnabledKey], out bool enabled) && enabled)
        {
            app.MapGet(Path, HandleAsync);
        }
    }

    public static async Task HandleAsync(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is not { } peer || !IPAddress.IsLoopback(peer))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        // Live bytes after that full compacting GC: heap size minus free space. (GC.GetTotalMemory reads a counter that
        // other threads' allocations race with; it was seen to go negative while sessions were running.)
        GCMemoryInfo info = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        long managed = info.HeapSizeBytes - info.FragmentedBytes;

        var body = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteNumber("managed_heap_bytes", managed);
            writer.WriteNumber("gc_heap_size_bytes", info.HeapSizeBytes);
            writer.WriteNumber("gc_committed_bytes", info.TotalCommittedBytes);
            writer.WriteNumber("working_set_bytes", Environment.WorkingSet);
            writer.WriteNumber("gen2_collections", GC.CollectionCount(2));
            writer.WriteEndObject();
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.WrittenCount;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }
}
