using Microsoft.Extensions.DependencyInjection;
using Realtime.Host.Connections;
using Microsoft.AspNetCore.Builder;
using Realtime.Host;

namespace Realtime.Host.Tests.Connections;

/// <summary>The real Host, started in-process on 127.0.0.1 with a free port.</summary>
internal sealed class TestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private TestServer(WebApplication app, Uri address)
    {
        _app = app;
        Address = address;
    }

    public Uri Address { get; }

    public Uri WebSocketUri(string query = "?model=gpt-realtime") =>
        new($"{(Address.Scheme == "https" ? "wss" : "ws")}://{Address.Authority}/v1/realtime{query}");

    public static async Task<TestServer> StartAsync(string scheme = "http", params string[] settings)
    {
        string[] args = ["--urls", $"{scheme}://127.0.0.1:0", "--Logging:LogLevel:Default=Warning", .. settings];
        // The connection tests need a session that echoes: register it over the Engine's realtime session.
        WebApplication app = RealtimeServer.Build(args, static builder => builder.Services.AddSingleton<IRealtimeSessionFactory, EchoSessionFactory>());
        await app.StartAsync(TestContext.Current.CancellationToken);
        return new TestServer(app, new Uri(app.Urls.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync(CancellationToken.None);
        await _app.DisposeAsync();
    }
}
