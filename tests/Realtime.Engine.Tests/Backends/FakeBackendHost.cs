using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends;

namespace Realtime.Engine.Tests.Backends;

/// <summary>Hosts a <see cref="FakeBackend"/> on Kestrel, 127.0.0.1:0, HTTP/2 cleartext only.</summary>
public sealed class FakeBackendHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private bool _stopped;

    private FakeBackendHost(WebApplication app, FakeBackend backend, int port)
    {
        _app = app;
        Backend = backend;
        Port = port;
    }

    public FakeBackend Backend { get; }

    public int Port { get; }

    public BackendUri Uri => BackendUri.Parse($"grpc://127.0.0.1:{Port}", "test");

    /// <summary>Starts a fake on <paramref name="port"/> (0: any free port; a killed fake's port brings "the backend" back).</summary>
    public static async Task<FakeBackendHost> StartAsync(FakeBackendOptions? options = null, int port = 0)
    {
        var backend = new FakeBackend(options ?? new FakeBackendOptions());
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, l => l.Protocols = HttpProtocols.Http2));
        builder.Services.AddGrpc(o => o.MaxReceiveMessageSize = 50 * 1024 * 1024);
        builder.Services.AddSingleton(backend);
        var app = builder.Build();
        app.MapGrpcService<FakeBackend>();
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FakeBackendHost(app, backend, new Uri(address).Port);
    }

    /// <summary>
    /// The backend process dies: the listener closes and every open connection and stream is aborted at once
    /// (an already-cancelled stop token skips Kestrel's graceful wait for running calls).
    /// </summary>
    public async Task KillAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync(new CancellationToken(canceled: true));
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
