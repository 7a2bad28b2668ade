namespace Realtime.Host.Telephony;

/// <summary>Registers and maps the phone call endpoints (Twilio Media Streams and its TwiML webhook).</summary>
internal static class TelephonyServices
{
    public static IServiceCollection AddTelephony(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(_ => TelephonyOptions.From(configuration));
        services.AddSingleton<ToolWebhookClient>();
        services.AddSingleton<TwilioCallServices>();
        return services;
    }

    public static void MapTelephony(this WebApplication app)
    {
        // Built now: a bad Realtime:Telephony setting stops the start with its message.
        app.Services.GetRequiredService<TelephonyOptions>();
        app.MapPost(TwimlEndpoint.Path, TwimlEndpoint.HandleAsync);
        app.Map(TwilioStreamEndpoint.Path, TwilioStreamEndpoint.HandleAsync);
    }
}
