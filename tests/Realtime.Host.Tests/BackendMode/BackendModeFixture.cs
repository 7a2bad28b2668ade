using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc.Protocol;
using Realtime.Host.BackendMode;

namespace Realtime.Host.Tests.BackendMode;

/// <summary>The real `backend` mode server on 127.0.0.1:0, and our own gRPC clients pointed at it.</summary>
public sealed class BackendModeFixture : IAsyncLifetime
{
    private WebApplication? _app;
    private GrpcChannel? _channel;

    public int Port { get; private set; }

    /// <summary>Our stage clients (GrpcChatModel, GrpcSpeechRecognizer, ...) through the registry, as the gateway uses them.</summary>
    public BackendRegistry Registry { get; private set; } = null!;

    /// <summary>The generated client, for the RPCs whose raw answers the stage clients summarize (VAD segments, unary calls).</summary>
    public Backend.BackendClient Raw { get; private set; } = null!;

    public BackendUri Uri => BackendUri.Parse($"grpc://127.0.0.1:{Port}", "test");

    public static string Audio(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "..", "shared", "audio", name);
            if (File.Exists(candidate))
            {
                return Path.GetFullPath(candidate);
            }
        }

        throw new FileNotFoundException("fixture not found", name);
    }

    public async ValueTask InitializeAsync()
    {
        _app = BackendModeServer.Build(["--addr", "127.0.0.1:0"], b => b.Logging.ClearProviders());
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        Port = new Uri(address).Port;
        Registry = new BackendRegistry(new BackendRegistryOptions
        {
            SharedDirectory = Path.Combine(Path.GetTempPath(), "realtime-fast-backendmode-" + Environment.ProcessId),
            HealthRetryDelay = TimeSpan.FromMilliseconds(50),
        });
        _channel = GrpcChannel.ForAddress($"http://127.0.0.1:{Port}");
        Raw = new Backend.BackendClient(_channel);
    }

    public async ValueTask DisposeAsync()
    {
        Registry.Dispose();
        _channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
