namespace Realtime.Host.BrowserConsole;

/// <summary>
/// `GET /` serves the browser console (index.html) and `GET /console/&lt;file&gt;` its scripts, styles and
/// AudioWorklet processors, from the embedded copies. Revalidated by ETag so a new binary is picked up at once.
/// </summary>
internal static class ConsoleEndpoints
{
    /// <summary>Same-origin only: the page talks to this server and nothing else (no CDN, no third-party script).</summary>
    private const string ContentSecurityPolicy =
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

    public static void Map(WebApplication app)
    {
        app.MapGet("/", context => ServeAsync(context, "index.html"));
        app.MapGet("/console/{file}", (HttpContext context, string file) => ServeAsync(context, file));
    }

    private static async Task ServeAsync(HttpContext context, string file)
    {
        HttpResponse response = context.Response;
        if (ConsoleAssets.Find(file) is not { } asset)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        response.Headers.ETag = asset.ETag;
        response.Headers.CacheControl = "no-cache";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.ContentSecurityPolicy = ContentSecurityPolicy;
        if (context.Request.Headers.IfNoneMatch.Contains(asset.ETag))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        response.ContentType = asset.ContentType;
        response.ContentLength = asset.Content.Length;
        await response.Body.WriteAsync(asset.Content, context.RequestAborted);
    }
}
