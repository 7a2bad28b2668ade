using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Engine.Tests.Backends;
using Realtime.Host;
using Realtime.Host.Operations;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// A real server of its own whose default profile `remote` runs LLM, STT and TTS on an in-process fake gRPC backend
/// (VAD stays the built-in Silero), with the settings a fault test sets. The fake can be killed and brought back on
/// the same port; the server's own <see cref="SessionRegistry"/> says how many sessions it still holds.
/// </summary>
internal sealed class FaultServer : IAsyncDisposable
{
    public const string ApiKey = "sk-faults-key-0123456789";

    private readonly FakeBackendOptions _fakeOptions;

    private FaultServer(WebApplication app, Uri http, FakeBackendHost backend, FakeBackendOptions fakeOptions)
    {
        App = app;
        Http = http;
        Backend = backend;
        _fakeOptions = fakeOptions;
    }

    public WebApplication App { get; }

    public Uri Http { get; }

    public string WsBase => $"ws://{Http.Authority}/v1";

    /// <summary>The fake backend now serving (replaced by <see cref="RestartBackendAsync"/>).</summary>
    public FakeBackendHost Backend { get; private set; }

    public FakeBackend Fake => Backend.Backend;

    /// <summary>Sessions the server holds right now (its registry: admitted and not yet closed).</summary>
    public int OpenSessions => App.Services.GetRequiredService<SessionRegistry>().OpenCount;

    public static async Task<FaultServer> StartAsync(params string[] settings) => await StartAsync(new FakeBackendOptions(), settings);

    public static async Task<FaultServer> StartAsync(FakeBackendOptions fakeOptions, params string[] settings)
    {
        FakeBackendHost backend = await FakeBackendHost.StartAsync(fakeOptions);
        string grpc = $"grpc://127.0.0.1:{backend.Port}";
        WebApplication app = RealtimeServer.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Realtime:ApiKeys:0={ApiKey}",
            "--Logging:LogLevel:Default=Warning",
            .. RemoteBackendFixture.RemoteProfile(grpc),
            "--Realtime:DefaultModel=remote",
            .. settings,
        ]);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new FaultServer(app, new Uri(address), backend, fakeOptions);
    }

    public Task<RealtimeSocket> ConnectAsync() => RealtimeSocket.ConnectAsync(WsBase, ApiKey, "model=remote");

    public Task<RawRealtimeClient> ConnectRawAsync(int? receiveBufferBytes = null) => RawRealtimeClient.ConnectAsync(Http, ApiKey, "model=remote", receiveBufferBytes);

    /// <summary>A new backend process on the killed one's port: "the backend is back".</summary>
    public async Task RestartBackendAsync()
    {
        int port = Backend.Port;
        await Backend.KillAsync();
        Backend = await FakeBackendHost.StartAsync(_fakeOptions, port);
    }

    /// <summary>Waits until the server holds no session (polling its registry, no fixed sleep).</summary>
    public async Task AssertNoSessionLeftAsync(int timeoutMs = 60_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (OpenSessions != 0 && Environment.TickCount64 < deadline)
        {
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }

        Assert.Equal(0, OpenSessions);
    }

    /// <summary>The process keeps serving: a fresh session does a full text turn on the fake backend.</summary>
    /// <summary>After a fault: no session left behind, a new session does a full turn, and it too is released.</summary>
    public async Task AssertRecoveredAsync()
    {
        await AssertNoSessionLeftAsync();
        await AssertServesAnotherSessionAsync();
        await AssertNoSessionLeftAsync();
    }

    public async Task AssertServesAnotherSessionAsync()
    {
        await using RealtimeSocket other = await ConnectAsync();
        await other.SendAsync(Turns.TextOnly);
        await other.WaitFor("session.updated");
        JsonElement done = await Turns.RunAsync(other, "are you still there");
        Assert.Equal("completed", Turns.Status(done));
        Assert.Equal("Hello from fake.", Turns.Text(other, done));
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        await Backend.DisposeAsync();
    }
}
