using Realtime.Engine.Backends;
using Realtime.Engine.Sessions;
using Microsoft.Extensions.Options;
using Realtime.Engines.Local;
using Realtime.Host.Connections;
using Realtime.Host.Options;

namespace Realtime.Host.Engines;

/// <summary>Registers the engines, the profile resolver and the Engine's session factory.</summary>
public static class EngineServices
{
    public static IServiceCollection AddRealtimeEngines(this IServiceCollection services, IConfiguration configuration)
    {
        string contentRoot = AppContext.BaseDirectory;
        // Other native libraries than Debian's (a path or soname) for the built-in engines.
        ReplaceLibrary(configuration, "Realtime:Engines:EspeakLibrary", NativeLibraries.Espeak);
        ReplaceLibrary(configuration, "Realtime:Engines:PocketSphinxLibrary", NativeLibraries.PocketSphinx);
        ReplaceLibrary(configuration, "Realtime:Engines:SphinxBaseLibrary", NativeLibraries.SphinxBase);
        services.AddSingleton(sp => new BuiltinEngines(
            configuration["Realtime:Engines:SileroModelPath"] is { Length: > 0 } path ? path : FindSileroModel(contentRoot),
            ReadInt(configuration, "Realtime:Engines:PocketSphinxDecoders", 2 * Environment.ProcessorCount, 1, 256),
            sp.GetRequiredService<ILogger<BuiltinEngines>>(),
            configuration["Realtime:Engines:PocketSphinxModelDirectory"]));
        services.AddSingleton(sp => new BackendRegistry(
            new BackendRegistryOptions
            {
                AuthToken = configuration["Realtime:Backends:AuthToken"],
                ApiKey = configuration["Realtime:Backends:ApiKey"],
                SharedDirectory = configuration["Realtime:Backends:SharedDirectory"] is { Length: > 0 } dir
                    ? dir
                    : new BackendRegistryOptions().SharedDirectory,
                // Deadline of one backend call (a whole LLM stream, one transcription, one synthesis).
                CallTimeout = TimeSpan.FromSeconds(ReadInt(configuration, "Realtime:Backends:CallTimeoutSeconds", (int)new BackendRegistryOptions().CallTimeout.TotalSeconds, 1, 3600)),
                // 1 suits LocalAI's single-worker backends; servers that batch (vLLM, a backend farm) take more.
                MaxConcurrency = ReadInt(configuration, "Realtime:Backends:MaxConcurrency", 1, 1, 65_536),
            },
            sp.GetRequiredService<BuiltinEngines>().Factories,
            sp.GetRequiredService<ILoggerFactory>()));
        services.AddSingleton<ProfileEngineResolver>();
        services.AddSingleton<EngineWarmup>();
        services.AddHostedService(sp => sp.GetRequiredService<EngineWarmup>());
        services.AddSingleton(sp => new RealtimeSessionFactory(sp.GetRequiredService<ProfileEngineResolver>(), ReadSessionOptions(configuration, sp.GetRequiredService<IOptions<RealtimeServerOptions>>().Value.Limits),
            logger: sp.GetRequiredService<ILoggerFactory>().CreateLogger<RealtimeSession>()));
        services.AddSingleton<IRealtimeSessionFactory, EngineSessionFactory>();
        return services;
    }

    private static void ReplaceLibrary(IConfiguration configuration, string key, string soname)
    {
        if (configuration[key] is { Length: > 0 } replacement)
        {
            NativeLibraries.Replace(soname, replacement);
        }
    }

    /// <summary>A whole-number setting in [<paramref name="min"/>, <paramref name="max"/>]; a bad value stops the start naming the key.</summary>
    private static int ReadInt(IConfiguration configuration, string key, int fallback, int min, int max)
    {
        string? text = configuration[key];
        return text is null ? fallback
            : int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n >= min && n <= max ? n
            : throw new InvalidOperationException($"{key} must be a whole number from {min} to {max}, not '{text}'.");
    }

    /// <summary>
    /// The per-session limits of `Realtime:Limits` (validated at startup with the other limits) and
    /// `Realtime:TurnDetection:EchoHoldOffMs`: how long after the assistant's audio has played barge-in stays guarded.
    /// </summary>
    private static RealtimeSessionOptions ReadSessionOptions(IConfiguration configuration, RealtimeLimitsOptions limits) => new()
    {
        MaxAppendBytes = limits.MaxAppendBytes,
        MaxBufferedAudioBytes = limits.MaxBufferedAudioBytes,
        MaxConversationItems = limits.MaxConversationItems,
        MaxConversationBytes = limits.MaxConversationBytes,
        EchoHoldOffMs = ReadInt(configuration, "Realtime:TurnDetection:EchoHoldOffMs", new RealtimeSessionOptions().EchoHoldOffMs, 0, 10_000),
    };

    /// <summary>
    /// The Silero model placed by scripts/setup.sh at &lt;repo&gt;/models; looked up beside the binary first,
    /// then upward from it (dotnet run executes from bin/Release/net10.0).
    /// </summary>
    private static string FindSileroModel(string start)
    {
        const string relative = "models/silero_vad_v5.onnx";
        for (DirectoryInfo? dir = new(start); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return Path.Combine(start, relative);
    }
}
