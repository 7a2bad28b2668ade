using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Realtime.Host.Engines;

namespace Realtime.Host.BackendMode;

/// <summary>
/// `realtime-fast backend --addr host:port`: the built-in engines as a LocalAI-compatible gRPC backend, on
/// its own HTTP/2 cleartext port (LocalAI starts backends with --addr and talks h2c to them).
/// </summary>
public static class BackendModeServer
{
    public const string Verb = "backend";

    public static bool IsRequested(string[] args) => args.Length > 0 && args[0] == Verb;

    /// <summary>Builds the backend server; <paramref name="args"/> are those after the verb (port 0 picks a free one).</summary>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(args);
        string addr = builder.Configuration["addr"] is { Length: > 0 } a ? a : "127.0.0.1:50051";
        IPEndPoint endpoint = ParseAddress(addr);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(endpoint, listen => listen.Protocols = HttpProtocols.Http2));
        // WAV paths and PCM streams are small, but a VAD request carries its whole window as floats.
        builder.Services.AddGrpc(options => options.MaxReceiveMessageSize = 64 * 1024 * 1024);
        builder.Services.AddRealtimeEngines(builder.Configuration);
        configure?.Invoke(builder);

        WebApplication app = builder.Build();
        app.MapGrpcService<BuiltinBackendService>();
        return app;
    }

    /// <summary>host:port as LocalAI passes it; "localhost" and an empty host mean loopback, "*" means any.</summary>
    internal static IPEndPoint ParseAddress(string addr)
    {
        int colon = addr.LastIndexOf(':');
        if (colon < 0 || !int.TryParse(addr.AsSpan(colon + 1), out int port) || port is < 0 or > 65535)
        {
            throw new FormatException($"--addr '{addr}' must be host:port, e.g. 127.0.0.1:50051.");
        }

        string host = addr[..colon].Trim('[', ']');
        IPAddress ip = host switch
        {
            "" or "localhost" => IPAddress.Loopback,
            "*" or "0.0.0.0" => IPAddress.Any,
            _ => IPAddress.TryParse(host, out IPAddress? parsed)
                ? parsed
                : throw new FormatException($"--addr '{addr}': host must be an IP address, localhost or *."),
        };
        return new IPEndPoint(ip, port);
    }
}
