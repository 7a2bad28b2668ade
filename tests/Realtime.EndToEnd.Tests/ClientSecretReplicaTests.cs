using System.Buffers.Text;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Realtime.EndToEnd.Tests.Operations;
using Realtime.Host;

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// Signed client secrets across replicas: servers that share `Realtime:ClientSecrets:SigningKeys` accept each
/// other's secrets with nothing else shared; tampered, truncated, expired and foreign secrets get the hosted API's
/// `invalid_api_key` error and close 3000.
/// </summary>
public sealed class ClientSecretReplicaTests
{
    private const string ApiKey = "sk-replica-test-key-0123456789";
    private static readonly string SharedKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 7)).ToArray());
    private static readonly string OtherKey = Convert.ToBase64String(Enumerable.Range(0, 32).Select(i => (byte)(i * 11 + 1)).ToArray());

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_secret_minted_on_one_replica_opens_a_session_with_its_configuration_on_another()
    {
        await using Replica minter = await Replica.StartAsync(SharedKey);
        await using Replica other = await Replica.StartAsync(SharedKey);
        string secret = await MintAsync(minter, """{"session":{"type":"realtime","output_modalities":["text"],"instructions":"Minted elsewhere."}}""");

        using ClientWebSocket socket = await ConnectAsync(other, secret);
        JsonElement created = await ReceiveAsync(socket);
        Assert.Equal("session.created", created.GetProperty("type").GetString());
        Assert.Equal("Minted elsewhere.", created.GetProperty("session").GetProperty("instructions").GetString());
        Assert.Equal("text", created.GetProperty("session").GetProperty("output_modalities")[0].GetString());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        Assert.DoesNotContain(other.Logs.Lines, l => l.Level >= LogLevel.Warning && l.Category.StartsWith("Realtime.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Rotated_keys_accept_secrets_of_the_old_key()
    {
        await using Replica old = await Replica.StartAsync(SharedKey);
        await using Replica rotated = await Replica.StartAsync(OtherKey, SharedKey);
        string secret = await MintAsync(old, "{}");
        using ClientWebSocket socket = await ConnectAsync(rotated, secret);
        Assert.Equal("session.created", (await ReceiveAsync(socket)).GetProperty("type").GetString());

        // The rotated replica signs with the new key, which the old one does not know.
        await AssertRefusedAsync(old, await MintAsync(rotated, "{}"));
    }

    [Fact]
    public async Task Foreign_tampered_truncated_and_expired_secrets_are_refused_like_a_wrong_key()
    {
        await using Replica minter = await Replica.StartAsync(SharedKey);
        await using Replica foreign = await Replica.StartAsync(OtherKey);
        // A replica whose clock is three hours on: every secret (at most two hours) has expired there.
        await using Replica later = await Replica.StartAsync(SharedKey, clockOffset: TimeSpan.FromHours(3));
        string secret = await MintAsync(minter, """{"session":{"type":"realtime","instructions":"original"}}""");

        await AssertRefusedAsync(foreign, secret);
        await AssertRefusedAsync(later, secret);
        await AssertRefusedAsync(minter, secret[..^5]);

        // The signed configuration changed ("original" -> "Original"): the signature no longer matches.
        byte[] raw = Base64Url.DecodeFromChars(secret.AsSpan(3));
        int at = raw.AsSpan().IndexOf("original"u8);
        raw[at] = (byte)'O';
        await AssertRefusedAsync(minter, "ek_" + Base64Url.EncodeToString(raw));

        // The untouched secret still works where it was minted: the refusals were about the key, not the server.
        using ClientWebSocket socket = await ConnectAsync(minter, secret);
        Assert.Equal("original", (await ReceiveAsync(socket)).GetProperty("session").GetProperty("instructions").GetString());
    }

    [Fact]
    public async Task Without_a_signing_key_one_startup_warning_says_secrets_do_not_cross_replicas()
    {
        await using Replica first = await Replica.StartAsync();
        await using Replica second = await Replica.StartAsync();
        string secret = await MintAsync(first, "{}");
        await MintAsync(first, "{}");
        await AssertRefusedAsync(second, secret);

        CapturedLog warning = Assert.Single(first.Logs.Lines, l => l.Level >= LogLevel.Warning && l.Category.StartsWith("Realtime.", StringComparison.Ordinal));
        Assert.Contains("Realtime:ClientSecrets:SigningKeys is not set", warning.Message, StringComparison.Ordinal);
        Assert.Contains("refused by other replicas", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(first.Logs.Lines, l => l.Level >= LogLevel.Error);
    }

    private static async Task AssertRefusedAsync(Replica replica, string secret)
    {
        using ClientWebSocket socket = await ConnectAsync(replica, secret);
        JsonElement error = await ReceiveAsync(socket);
        Assert.Equal("error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", error.GetProperty("error").GetProperty("code").GetString());
        WebSocketReceiveResult close = await socket.ReceiveAsync(new byte[256], Cancel);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(3000, (int)socket.CloseStatus!);
    }

    private static async Task<ClientWebSocket> ConnectAsync(Replica replica, string secret)
    {
        var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("realtime");
        socket.Options.AddSubProtocol("openai-insecure-api-key." + secret);
        await socket.ConnectAsync(new Uri($"ws://{replica.Http.Authority}/v1/realtime?model=gpt-realtime"), Cancel);
        return socket;
    }

    private static async Task<string> MintAsync(Replica replica, string body)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(replica.Http, "/v1/realtime/client_secrets"))
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ApiKey);
        using HttpResponseMessage response = await http.SendAsync(request, Cancel);
        string text = await response.Content.ReadAsStringAsync(Cancel);
        Assert.True(response.IsSuccessStatusCode, text);
        return JsonDocument.Parse(text).RootElement.GetProperty("value").GetString()!;
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket) =>
        await WebSocketJson.ReceiveAsync(socket, Cancel) ?? throw new InvalidOperationException("the server closed the connection");

    /// <summary>One in-process server with the given signing keys, its log captured, optionally with its wall clock shifted.</summary>
    private sealed class Replica : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private Replica(WebApplication app, CapturingLoggerProvider logs)
        {
            _app = app;
            Logs = logs;
            Http = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        }

        public Uri Http { get; }

        public CapturingLoggerProvider Logs { get; }

        public static Task<Replica> StartAsync(params string[] signingKeys) => StartAsync(signingKeys, TimeSpan.Zero);

        public static Task<Replica> StartAsync(string signingKey, TimeSpan clockOffset) => StartAsync([signingKey], clockOffset);

        private static async Task<Replica> StartAsync(string[] signingKeys, TimeSpan clockOffset)
        {
            var logs = new CapturingLoggerProvider();
            WebApplication app = RealtimeServer.Build(
                [
                    "--urls", "http://127.0.0.1:0",
                    $"--Realtime:ApiKeys:0={ApiKey}",
                    "--Logging:LogLevel:Default=Warning",
                    .. signingKeys.Select((key, i) => $"--Realtime:ClientSecrets:SigningKeys:{i}={key}"),
                ],
                builder =>
                {
                    builder.Logging.AddProvider(logs);
                    if (clockOffset != TimeSpan.Zero)
                    {
                        builder.Services.AddSingleton<TimeProvider>(new ShiftedClock(clockOffset));
                    }
                });
            await app.StartAsync();
            return new Replica(app, logs);
        }

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    /// <summary>The system clock, its wall time shifted (timers and timestamps as the system's).</summary>
    private sealed class ShiftedClock(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + offset;
    }
}
