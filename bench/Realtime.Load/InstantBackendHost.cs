using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Realtime.Load;

/// <summary>Hosts the <see cref="InstantBackend"/> in the load tool's process on 127.0.0.1, HTTP/2 cleartext.</summary>
public sealed class InstantBackendHost : IAsyncDisposable
{
    private readonly WebApplication _app;

    private InstantBackendHost(WebApplication app, InstantBackend backend, int port)
    {
        _app = app;
        Backend = backend;
        Port = port;
    }

    public InstantBackend Backend { get; }

    public int Port { get; }

    public string Uri => $"grpc://127.0.0.1:{Port}";

    public static async Task<InstantBackendHost> StartAsync()
    {
        var backend = new InstantBackend();
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(backend);
        WebApplication app = builder.Build();
        app.MapGrpcService<InstantBackend>();
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new InstantBackendHost(app, backend, new System.Uri(address).Port);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
