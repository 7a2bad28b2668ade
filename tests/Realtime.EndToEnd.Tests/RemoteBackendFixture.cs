using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Engine.Tests.Backends;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// The real server with two remote profiles: `remote` (LLM, STT, TTS on the in-process fake gRPC backend, whose
/// TTS speaks at 16 kHz so the gateway must resample to 24 kHz) and `remote-http` (LLM and TTS on the fake
/// OpenAI-compatible HTTP server). VAD stays the built-in Silero.
/// </summary>
public sealed class RemoteBackendFixture : IAsyncLifetime
{
    public const string ApiKey = "sk-remote-backend-test";
    public const int FakeTtsRate = 16_000;

    private WebApplication? _app;

    public FakeBackendHost Grpc { get; private set; } = null!;

    public FakeOpenAiServer OpenAi { get; private set; } = null!;

    public string WsBase { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Grpc = await FakeBackendHost.StartAsync(new FakeBackendOptions { TtsRate = FakeTtsRate });
        OpenAi = await FakeOpenAiServer.StartAsync();
        string grpc = $"grpc://127.0.0.1:{Grpc.Port}";
        _app = RealtimeServer.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Realtime:ApiKeys:0={ApiKey}",
            "--Logging:LogLevel:Default=Warning",
            .. RemoteProfile(grpc),
            $"--Realtime:Models:remote-http:Llm:Backend={OpenAi.Uri}",
            "--Realtime:Models:remote-http:Llm:Model=fake-chat",
            $"--Realtime:Models:remote-http:Tts:Backend={OpenAi.Uri}",
            "--Realtime:DefaultModel=remote",
        ]);
        await _app.StartAsync();
        string http = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        WsBase = "ws://" + new Uri(http).Authority + "/v1";
    }

    /// <summary>Settings of the `remote` profile: LLM, STT and TTS on the fake gRPC backend at <paramref name="grpc"/>.</summary>
    public static string[] RemoteProfile(string grpc) =>
    [
        $"--Realtime:Models:remote:Llm:Backend={grpc}",
        "--Realtime:Models:remote:Llm:Model=fake-llm",
        $"--Realtime:Models:remote:Transcription:Backend={grpc}",
        "--Realtime:Models:remote:Transcription:Model=fake-stt",
        $"--Realtime:Models:remote:Tts:Backend={grpc}",
        "--Realtime:Models:remote:Tts:Model=fake-tts",
    ];

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await OpenAi.DisposeAsync();
        await Grpc.DisposeAsync();
    }
}
