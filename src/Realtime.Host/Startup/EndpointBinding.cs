using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Realtime.Host.Connections;
using Realtime.Host.Transport;

namespace Realtime.Host.Startup;

/// <summary>
/// Binds the standard `urls` setting in code so that, per endpoint, TLS comes first and the realtime
/// connection middleware second: it then sees plaintext on https endpoints too (design.md, Decisions).
/// </summary>
internal static class EndpointBinding
{
    private const string DefaultUrls = "http://localhost:5000";

    public static void Bind(KestrelServerOptions kestrel, string? urls, IConfiguration configuration)
    {
        urls = string.IsNullOrWhiteSpace(urls) ? DefaultUrls : urls;
        foreach (string url in urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            BindingAddress address;
            try
            {
                address = BindingAddress.Parse(url);
            }
            catch (FormatException ex)
            {
                throw new InvalidOperationException($"urls: '{url}' is not a valid address (expected e.g. http://127.0.0.1:8080).", ex);
            }

            bool https = address.Scheme.Equals("https", StringComparison.OrdinalIgnoreCase);
            if (!https && !address.Scheme.Equals("http", StringComparison.OrdinalIgnoreCase))
            {
                throw new InvalidOperationException($"urls: '{url}' must use http or https.");
            }

            X509Certificate2? certificate = https ? LoadCertificate(configuration) : null;
            void Configure(ListenOptions listen)
            {
                kestrel.ApplicationServices.GetRequiredService<PlaintextEndpoints>().Declare(listen.EndPoint, tls: certificate is not null);
                if (certificate is not null)
                {
                    // HTTP/1.1 only: a browser that negotiates h2 by ALPN opens its WebSocket as an HTTP/2 extended
                    // CONNECT on that connection, which the realtime middleware (an HTTP/1.1 upgrade on the raw
                    // pipes) never sees, so wss:// from a page would fail. Offering only http/1.1 keeps it an upgrade.
                    listen.Protocols = HttpProtocols.Http1;
                    listen.UseHttps(certificate);
                }

                listen.Use(next => listen.ApplicationServices.GetRequiredService<RealtimeConnectionMiddleware>().Before(next));
            }

            string host = address.Host;
            if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            {
                kestrel.ListenLocalhost(address.Port, Configure);
            }
            else if (host is "*" or "+" or "0.0.0.0" or "[::]" or "::")
            {
                kestrel.ListenAnyIP(address.Port, Configure);
            }
            else if (IPAddress.TryParse(host.Trim('[', ']'), out IPAddress? ip))
            {
                kestrel.Listen(ip, address.Port, Configure);
            }
            else
            {
                throw new InvalidOperationException($"urls: host '{host}' in '{url}' must be localhost, an IP address or *.");
            }
        }
    }

    private static X509Certificate2 LoadCertificate(IConfiguration configuration)
    {
        string? path = configuration["Kestrel:Certificates:Default:Path"];
        string? keyPath = configuration["Kestrel:Certificates:Default:KeyPath"];
        if (string.IsNullOrEmpty(path))
        {
            throw new InvalidOperationException("An https:// url needs a certificate: set Kestrel:Certificates:Default:Path (PEM) and :KeyPath.");
        }

        try
        {
            return string.IsNullOrEmpty(keyPath)
                ? X509Certificate2.CreateFromPemFile(path)
                : X509Certificate2.CreateFromPemFile(path, keyPath);
        }
        catch (Exception ex) when (ex is IOException or System.Security.Cryptography.CryptographicException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"Kestrel:Certificates:Default: cannot load '{path}' / '{keyPath}': {ex.Message}", ex);
        }
    }
}
