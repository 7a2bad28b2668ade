using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Engine.Tests.Backends;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests.Faults.Matrix;

/// <summary>
/// One real server for the whole fault matrix, with a profile per way a stage can be served; each test sets a fault
/// on the fake that serves its stage and clears it after (the tests of a class run one at a time):
/// <list type="bullet">
/// <item>`stream`: LLM (PredictStream), STT (AudioTranscriptionStream) and TTS (TTSStream) on <see cref="Streaming"/>.</item>
/// <item>`unary`: STT (AudioTranscription) and TTS (TTS) on <see cref="Unary"/>, which lacks both stream RPCs; LLM on <see cref="Streaming"/>.</item>
/// <item>`fallback`: STT and TTS on <see cref="Fallback"/>, whose stream RPCs a test makes UNIMPLEMENTED once (remembered per backend).</item>
/// <item>`vad`: VAD (unary VAD calls) on <see cref="Streaming"/>, the other stages on <see cref="Fallback"/>.</item>
/// <item>`http`: LLM, STT and TTS on the OpenAI-compatible <see cref="Http"/>.</item>
/// </list>
/// The call deadline is 4 s, so the "never answers" rows end in about that; a healthy fake answers well within it
/// even on a loaded 2-core machine (at 2 s, the turn after a fault once met it there).
/// </summary>
public sealed class FaultMatrixFixture : IAsyncLifetime
{
    public const string ApiKey = "sk-fault-matrix-0123456789";
    public const int CallTimeoutSeconds = 4;

    private WebApplication? _app;

    public FakeBackendHost Streaming { get; private set; } = null!;

    public FakeBackendHost Unary { get; private set; } = null!;

    public FakeBackendHost Fallback { get; private set; } = null!;

    public FakeOpenAiServer Http { get; private set; } = null!;

    public string WsBase { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Streaming = await FakeBackendHost.StartAsync();
        Unary = await FakeBackendHost.StartAsync(new FakeBackendOptions { TtsStreamUnimplemented = true, TranscriptionStreamUnimplemented = true });
        Fallback = await FakeBackendHost.StartAsync();
        Http = await FakeOpenAiServer.StartAsync();
        string stream = $"grpc://127.0.0.1:{Streaming.Port}";
        string unary = $"grpc://127.0.0.1:{Unary.Port}";
        string fallback = $"grpc://127.0.0.1:{Fallback.Port}";
        _app = RealtimeServer.Build(
        [
            "--urls", "http://127.0.0.1:0",
            $"--Realtime:ApiKeys:0={ApiKey}",
            "--Logging:LogLevel:Default=Error",
            $"--Realtime:Backends:CallTimeoutSeconds={CallTimeoutSeconds}",
            .. Profile("stream", llm: stream, stt: stream, tts: stream),
            .. Profile("unary", llm: stream, stt: unary, tts: unary),
            .. Profile("fallback", llm: stream, stt: fallback, tts: fallback),
            // Its other stages on another backend: a VAD call that hangs holds the single call slot of its backend.
            .. Profile("vad", llm: fallback, stt: fallback, tts: fallback),
            $"--Realtime:Models:vad:Vad:Backend={stream}",
            "--Realtime:Models:vad:Vad:Model=fake-vad",
            .. Profile("http", llm: Http.Uri.ToString(), stt: Http.Uri.ToString(), tts: Http.Uri.ToString()),
            "--Realtime:DefaultModel=stream",
        ]);
        await _app.StartAsync();
        string address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        WsBase = "ws://" + new Uri(address).Authority + "/v1";
    }

    private static string[] Profile(string name, string llm, string stt, string tts) =>
    [
        $"--Realtime:Models:{name}:Llm:Backend={llm}",
        $"--Realtime:Models:{name}:Llm:Model=fake-llm",
        $"--Realtime:Models:{name}:Transcription:Backend={stt}",
        $"--Realtime:Models:{name}:Transcription:Model=fake-stt",
        $"--Realtime:Models:{name}:Tts:Backend={tts}",
        $"--Realtime:Models:{name}:Tts:Model=fake-tts",
    ];

    internal Task<RealtimeSocket> ConnectAsync(string profile) => RealtimeSocket.ConnectAsync(WsBase, ApiKey, "model=" + profile);

    /// <summary>Clears every injected fault (after each test, passed or not).</summary>
    public void ClearFaults()
    {
        Streaming.Backend.Fault = null;
        Unary.Backend.Fault = null;
        Fallback.Backend.Fault = null;
        Http.Fault = null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        await Http.DisposeAsync();
        await Fallback.DisposeAsync();
        await Unary.DisposeAsync();
        await Streaming.DisposeAsync();
    }
}
