using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>A server of its own (plain http on 127.0.0.1:0, two API keys) with the limits a test sets; stopped by the test or on dispose.</summary>
internal sealed class OpsServer : IAsyncDisposable
{
    public const string KeyA = "sk-ops-key-a-0123456789";
    public const string KeyB = "sk-ops-key-b-0123456789";

    private bool _stopped;

    private OpsServer(WebApplication app, Uri http)
    {
        App = app;
        Http = http;
    }

    public WebApplication App { get; }

    public Uri Http { get; }

    public string WsBase => $"ws://{Http.Authority}/v1";

    public static Task<OpsServer> StartAsync(params string[] settings) => StartAsync(null, settings);

    public static async Task<OpsServer> StartAsync(Action<WebApplicationBuilder>? configure, params string[] settings)
    {
        WebApplication app = RealtimeServer.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Realtime:ApiKeys:0={KeyA}",
            $"--Realtime:ApiKeys:1={KeyB}",
            "--Logging:LogLevel:Default=Warning",
            .. settings,
        ],
            configure);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new OpsServer(app, new Uri(address));
    }

    public Task<RealtimeSocket> ConnectAsync(string key = KeyA) => RealtimeSocket.ConnectAsync(WsBase, key);

    public async Task StopAsync()
    {
        _stopped = true;
        await App.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            await App.StopAsync();
        }

        await App.DisposeAsync();
    }
}
