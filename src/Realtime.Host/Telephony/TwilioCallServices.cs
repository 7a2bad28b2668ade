using Microsoft.Extensions.Options;
using Realtime.Engine.Sessions;
using Realtime.Host.ClientSecrets;
using Realtime.Host.Engines;
using Realtime.Host.Operations;
using Realtime.Host.Options;
using Realtime.Wire.Http;

namespace Realtime.Host.Telephony;

/// <summary>What every call needs from the server, gathered once: sessions, profiles, keys, admission, tools, options.</summary>
internal sealed class TwilioCallServices(
    RealtimeSessionFactory sessions,
    ProfileEngineResolver profiles,
    ClientSecretIssuer clientSecrets,
    SessionRegistry registry,
    EngineWarmup warmup,
    TelephonyOptions options,
    ToolWebhookClient tools,
    IOptions<RealtimeServerOptions> server,
    TimeProvider time,
    ILogger<TwilioCall> logger)
{
    public RealtimeSessionFactory Sessions => sessions;

    public ProfileEngineResolver Profiles => profiles;

    public ClientSecretIssuer ClientSecrets => clientSecrets;

    public SessionRegistry Registry => registry;

    public EngineWarmup Warmup => warmup;

    public TelephonyOptions Options => options;

    public ToolWebhookClient Tools => tools;

    public ApiKeySet Keys { get; } = new(server.Value.ApiKeys);

    public TimeProvider Time => time;

    public ILogger<TwilioCall> Logger => logger;

    /// <summary>The tools every call offers: the configured ones and the built-in end_call.</summary>
    public IReadOnlyList<ToolDefinition> CallTools { get; } =
    [
        .. options.Tools,
        new ToolDefinition(
            TwilioCall.EndCallTool,
            "Hang up the phone call. Use it when the caller is done or asks to end the call; say goodbye first or right after.",
            """{"type":"object","properties":{}}"""),
    ];
}
