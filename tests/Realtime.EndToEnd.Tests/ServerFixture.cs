using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// The real server, in-process on 127.0.0.1 with an http and an https endpoint (self-signed certificate made
/// here), the embedded default engines and one API key. Shared by the tests of a collection.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const string ApiKey = "sk-e2e-test-key-0123456789";

    private readonly string _certDir = Directory.CreateTempSubdirectory("realtime-e2e-").FullName;
    private WebApplication? _app;

    public Uri Http { get; private set; } = null!;

    public Uri Https { get; private set; } = null!;

    /// <summary>ws://host:port/v1 — what SDKs take as their base URL.</summary>
    public string WsBase => $"ws://{Http.Authority}/v1";

    public string WssBase => $"wss://{Https.Authority}/v1";

    public async ValueTask InitializeAsync()
    {
        (_app, Http, Https) = await StartHttpAndHttpsAsync(_certDir, $"--Realtime:ApiKeys:0={ApiKey}");
    }

    /// <summary>
    /// Starts the server on an http and an https endpoint of 127.0.0.1 (ports chosen by the system), with a self-signed
    /// certificate written into <paramref name="certDir"/>, Warning logging and <paramref name="settings"/>.
    /// </summary>
    internal static async Task<(WebApplication App, Uri Http, Uri Https)> StartHttpAndHttpsAsync(string certDir, params string[] settings)
    {
        (string certPath, string keyPath) = WriteSelfSignedCertificate(certDir);
        WebApplication app = RealtimeServer.Build(
        [
            "--urls", "http://127.0.0.1:0;https://127.0.0.1:0",
            $"--Kestrel:Certificates:Default:Path={certPath}",
            $"--Kestrel:Certificates:Default:KeyPath={keyPath}",
            "--Logging:LogLevel:Default=Warning",
            .. settings,
        ]);
        await app.StartAsync();
        ICollection<string> addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
        return (app,
            new Uri(addresses.First(a => a.StartsWith("http://", StringComparison.Ordinal))),
            new Uri(addresses.First(a => a.StartsWith("https://", StringComparison.Ordinal))));
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Directory.Delete(_certDir, recursive: true);
    }

    private static (string Cert, string Key) WriteSelfSignedCertificate(string dir)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        san.AddDnsName("localhost");
        request.CertificateExtensions.Add(san.Build());
        using X509Certificate2 cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(7));
        string certPath = Path.Combine(dir, "cert.pem");
        string keyPath = Path.Combine(dir, "key.pem");
        File.WriteAllText(certPath, cert.ExportCertificatePem());
        File.WriteAllText(keyPath, key.ExportPkcs8PrivateKeyPem());
        return (certPath, keyPath);
    }
}

[CollectionDefinition(Name)]
public sealed class ServerCollection : ICollectionFixture<ServerFixture>
{
    public const string Name = "server";
}
