using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Host.Diagnostics;

namespace Realtime.Host.Tests.Diagnostics;

public sealed class MemoryDiagnosticsEndpointTests
{
    [Fact]
    public async Task Is_not_found_by_default()
    {
        await using WebApplication app = await StartAsync();
        using var http = new HttpClient();
        using HttpResponseMessage response = await http.GetAsync(BaseOf(app) + MemoryDiagnosticsEndpoint.Path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Answers_heap_figures_on_loopback_when_enabled()
    {
        await using WebApplication app = await StartAsync($"--{MemoryDiagnosticsEndpoint.EnabledKey}=true");
        using var http = new HttpClient();
        using HttpResponseMessage response = await http.GetAsync(BaseOf(app) + MemoryDiagnosticsEndpoint.Path, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using JsonDocument body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        long managed = body.RootElement.GetProperty("managed_heap_bytes").GetInt64();
        long heap = body.RootElement.GetProperty("gc_heap_size_bytes").GetInt64();
        // A running server holds at least its DI container, Kestrel and the engines: well over 100 KB, under 1 GB.
        Assert.InRange(managed, 100_000, 1L << 30);
        Assert.InRange(heap, 100_000, 1L << 30);
        Assert.True(body.RootElement.GetProperty("working_set_bytes").GetInt64() > managed);
        Assert.True(body.RootElement.GetProperty("gen2_collections").GetInt32() >= 2);
    }

    [Fact]
    public async Task Refuses_a_peer_that_is_not_loopback()
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse("10.1.2.3");
        context.Response.Body = new MemoryStream();
        await MemoryDiagnosticsEndpoint.HandleAsync(context);
        Assert.Equal(StatusCodes.Status404NotFound, context.Response.StatusCode);
        Assert.Equal(0, context.Response.Body.Length);
    }

    private static async Task<WebApplication> StartAsync(params string[] extra)
    {
        WebApplication app = RealtimeServer.Build(["--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", .. extra]);
        await app.StartAsync(TestContext.Current.CancellationToken);
        return app;
    }

    private static string BaseOf(WebApplication app) =>
        app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
}
