using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Options;
using Realtime.Host.Connections;
using Realtime.Host.Engines;
using Realtime.Host.Observability;
using Realtime.Host.Operations;
using Realtime.Host.Options;
using OpenTelemetry.Metrics;
using Realtime.Host.Startup;
using Realtime.Host.Telephony;

namespace Realtime.Host;

/// <summary>Builds the server; Program runs it and the tests start it in-process on 127.0.0.1:0.</summary>
public static class RealtimeServer
{
    /// <summary>
    /// Builds the server for this process (the executable's entry): as <see cref="Build"/>, and with
    /// <c>Realtime:WebSocket:InlineScheduling</c> on, socket completions run on the socket engine's own threads.
    /// </summary>
    public static WebApplication BuildProcess(string[] args) => Build(args, configure: null, ownsProcess: true);

    /// <summary>Builds the application from standard configuration (appsettings, `__` environment, command line).</summary>
    /// <param name="ownsProcess">
    /// The server is the process (not a test host): it may set process-wide runtime switches, which must be set before
    /// the first socket is used and would otherwise change every other socket user in the process.
    /// </param>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null, bool ownsProcess = false)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
        builder.Services.AddOptions<RealtimeServerOptions>()
            .Bind(builder.Configuration.GetSection(RealtimeServerOptions.SectionName))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RealtimeServerOptions>, RealtimeServerOptionsValidator>();
        builder.Services.AddRealtimeEngines(builder.Configuration);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(services => ClientSecrets.ClientSecretIssuer.FromOptions(
            services.GetRequiredService<IOptions<RealtimeServerOptions>>().Value.ClientSecrets,
            services.GetRequiredService<TimeProvider>(),
            services.GetRequiredService<ILoggerFactory>().CreateLogger<ClientSecrets.ClientSecretIssuer>()));
        builder.Services.AddSingleton<RealtimeConnectionRunner>();
        builder.Services.AddSingleton<RealtimeConnectionMiddleware>();
        builder.Services.AddSingleton<Transport.PlaintextEndpoints>();
        builder.Services.AddSingleton<SessionRegistry>();
        builder.Services.AddTelephony(builder.Configuration);
        builder.Services.AddHostedService<DrainDelay>();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddMeter(RealtimeMetrics.MeterName).AddPrometheusExporter());
        // Endpoints are bound in code from the standard `urls` setting: TLS first, then the realtime middleware.
        // (Kestrel logs once that it overrides `urls` with these endpoints; that is expected.)
        bool inline = builder.Configuration.GetValue($"{RealtimeServerOptions.SectionName}:WebSocket:{nameof(RealtimeWebSocketOptions.InlineScheduling)}", true);
        if (ownsProcess && inline)
        {
            SocketCompletions.PreferInline();
        }

        builder.WebHost.UseSockets(sockets =>
        {
            sockets.MaxReadBufferSize = RealtimeConnectionRunner.TransportReadBufferBytes;
            sockets.UnsafePreferInlineScheduling = inline;
            sockets.CreateBoundListenSocket = DeferredAccept.CreateBoundListenSocket;
        });
        if (builder.Configuration.GetValue($"{RealtimeServerOptions.SectionName}:WebSocket:{nameof(RealtimeWebSocketOptions.DirectAccept)}", true))
        {
            // After UseSockets: Kestrel picks the transport registered last.
            builder.Services.AddSingleton<IConnectionListenerFactory, Transport.RealtimeFirstTransportFactory>();
        }
        builder.WebHost.ConfigureKestrel((context, kestrel) => EndpointBinding.Bind(kestrel, context.Configuration["urls"], context.Configuration));
        configure?.Invoke(builder);

        WebApplication app = builder.Build();
        // Check the profiles now (a malformed backend fails the start); EngineWarmup loads the engines beside Kestrel's start.
        app.Services.GetRequiredService<ProfileEngineResolver>();
        // Created now so it hears ApplicationStopping even if no session ever opened.
        app.Services.GetRequiredService<SessionRegistry>();
        // After options validation (a bad signing key fails the start first); its warning, if any, comes once at startup.
        app.Lifetime.ApplicationStarted.Register(() => app.Services.GetRequiredService<ClientSecrets.ClientSecretIssuer>());
        app.MapGet("/healthz", Endpoints.HealthEndpoint.HandleAsync);
        app.MapGet("/v1/models", Endpoints.ModelsEndpoint.HandleAsync);
        BrowserConsole.ConsoleEndpoints.Map(app);
        ClientSecrets.ClientSecretEndpoints.Map(app);
        app.MapGet("/readyz", ReadinessEndpoint.HandleAsync);
        app.MapPrometheusScrapingEndpoint("/metrics");
        Diagnostics.MemoryDiagnosticsEndpoint.Map(app);
        app.Map(Realtime.Wire.Http.Handshake.RealtimePath, RealtimeUpgradeEndpoint.HandleAsync);
        app.MapTelephony();
        return app;
    }
}
