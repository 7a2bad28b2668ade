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

    /// <summary>Runtime counters without a GC: divided by operations, the load generator's allocations, thread-pool work items and lock contentions per response, session or append.</summary>
    public const string RuntimePath = "/diagnostics/runtime";

    /// <summary>Maps the endpoint when enabled in configuration; otherwise the path stays unknown (404).</summary>
    public static void Map(WebApplication app)
    {
        if (bool.TryParse(app.Configuration[EnabledKey], out bool enabled) && enabled)
        {
            app.MapGet(Path, HandleAsync);
            app.MapGet(RuntimePath, HandleRuntimeAsync);
        }
    }

    public static async Task HandleAsync(HttpContext context)
    {
        if (!FromLoopback(context))
        {
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

        await WriteAsync(context, body);
    }

    public static async Task HandleRuntimeAsync(HttpContext context)
    {
        if (!FromLoopback(context))
        {
            return;
        }

        var body = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(body))
        {
            writer.WriteStartObject();
            writer.WriteNumber("allocated_bytes", GC.GetTotalAllocatedBytes(precise: false));
            writer.WriteNumber("gen0_collections", GC.CollectionCount(0));
            writer.WriteNumber("threadpool_completed_items", ThreadPool.CompletedWorkItemCount);
            writer.WriteNumber("threadpool_threads", ThreadPool.ThreadCount);
            writer.WriteNumber("lock_contentions", Monitor.LockContentionCount);
            writer.WriteEndObject();
        }

        await WriteAsync(context, body);
    }

    private static bool FromLoopback(HttpContext context)
    {
        if (context.Connection.RemoteIpAddress is { } peer && IPAddress.IsLoopback(peer))
        {
            return true;
        }

        context.Response.StatusCode = StatusCodes.Status404NotFound;
        return false;
    }

    private static async Task WriteAsync(HttpContext context, System.Buffers.ArrayBufferWriter<byte> body)
    {
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.WrittenCount;
        await context.Response.Body.WriteAsync(body.WrittenMemory, context.RequestAborted);
    }
}
