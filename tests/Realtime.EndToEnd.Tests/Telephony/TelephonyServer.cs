using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Realtime.EndToEnd.Tests.Operations;
using Realtime.Engine.Tests.Backends;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests.Telephony;

/// <summary>
/// The real server with telephony configured: API key, Twilio auth token and public host, a tool webhook served by
/// this fixture on loopback (records every call, answers with <see cref="ToolAnswer"/>), the tool get_weather, and
/// two profiles: `default` (the embedded engines, echo LLM) and `phone-http` (LLM on a fake OpenAI server that
/// hangs up on key 0). Logs are captured with their scopes.
/// </summary>
public sealed class TelephonyServer : IAsyncLifetime
{
    public const string ApiKey = "sk-phone-test-key-0123456789";
    public const string AuthToken = "twilio-test-auth-token-42";
    public const string PublicHost = "voice.test.example";
    public const string ToolName = "what_is_the_forecast";
    public const string ToolAnswer = "It is sunny and twenty one degrees in Paris.";

    /// <summary>How long the server waits for the tool webhook (Realtime:Telephony:ToolTimeoutMs).</summary>
    public const int ToolTimeoutMs = 2000;

    private WebApplication? _app;
    private WebApplication? _webhook;

    internal CapturingLoggerProvider Logs { get; } = new();

    /// <summary>Bodies POSTed to the tool webhook.</summary>
    public ConcurrentQueue<JsonElement> ToolCalls { get; } = new();

    internal FakeOpenAiServer OpenAi { get; private set; } = null!;

    public Uri Http { get; private set; } = null!;

    public Uri StreamUri => new($"ws://{Http.Authority}/v1/telephony/twilio");

    public async ValueTask InitializeAsync()
    {
        OpenAi = await FakeOpenAiServer.StartAsync();
        WebApplicationBuilder hook = WebApplication.CreateSlimBuilder();
        hook.Logging.ClearProviders();
        hook.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        _webhook = hook.Build();
        _webhook.MapPost("/tool", async (HttpContext context) =>
        {
            using JsonDocument body = await JsonDocument.ParseAsync(context.Request.Body);
            ToolCalls.Enqueue(body.RootElement.Clone());
            // Calls whose sid says so get a failing webhook: an HTTP 500, or no answer within the tool timeout.
            string callSid = body.RootElement.GetProperty("callSid").GetString() ?? "";
            if (callSid.Contains("fail", StringComparison.Ordinal))
            {
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsync("internal error");
                return;
            }

            if (callSid.Contains("slow", StringComparison.Ordinal))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(ToolTimeoutMs * 3), context.RequestAborted).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                return;
            }

            await context.Response.WriteAsync(ToolAnswer);
        });
        await _webhook.StartAsync();
        string hookAddress = _webhook.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();

        _app = RealtimeServer.Build(
            [
                "--urls", "http://127.0.0.1:0",
                $"--Realtime:ApiKeys:0={ApiKey}",
                "--Realtime:Models:default:Llm:Backend=builtin:echo",
                $"--Realtime:Models:phone-http:Llm:Backend={OpenAi.Uri}",
                "--Realtime:Models:phone-http:Llm:Model=fake-chat",
                $"--Realtime:Telephony:PublicHost={PublicHost}",
                $"--Realtime:Telephony:TwilioAuthToken={AuthToken}",
                $"--Realtime:Telephony:ToolWebhook={hookAddress}/tool",
                "--Realtime:Telephony:DtmfBatchMs=300",
                $"--Realtime:Telephony:ToolTimeoutMs={ToolTimeoutMs}",
                // The echo LLM calls the tool whose name words the caller says; pocketsphinx reliably hears only the
                // first word of the µ-law question ("what ..."), so the forecast tool is named by it.
                $"--Realtime:Telephony:Tools:0:Name={ToolName}",
                "--Realtime:Telephony:Tools:0:Description=The weather forecast for a city today.",
                """--Realtime:Telephony:Tools:0:Parameters={"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}""",
                "--Logging:LogLevel:Default=Warning",
                "--Logging:LogLevel:Realtime=Debug",
            ],
            builder => builder.Logging.AddProvider(Logs));
        await _app.StartAsync();
        Http = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        using var http = new HttpClient();
        for (int i = 0; i < 600 && !(await http.GetAsync(new Uri(Http, "/readyz"))).IsSuccessStatusCode; i++)
        {
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        if (_webhook is not null)
        {
            await _webhook.StopAsync();
            await _webhook.DisposeAsync();
        }

        if (OpenAi is not null)
        {
            await OpenAi.DisposeAsync();
        }
    }

    /// <summary>Log lines of one call (its CallSid in the scope).</summary>
    internal List<CapturedLog> CallLines(string callSid) =>
        [.. Logs.Lines.Where(l => l.Scope.GetValueOrDefault("CallSid") == callSid)];
}

[CollectionDefinition(Name)]
public sealed class TelephonyCollection : ICollectionFixture<TelephonyServer>
{
    public const string Name = "telephony";
}
