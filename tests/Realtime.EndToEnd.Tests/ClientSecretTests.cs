using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Realtime.EndToEnd.Tests;

/// <summary>Ephemeral client secrets: a server with the real key mints an `ek_` key bound to a session configuration; a browser-style client connects with it.</summary>
[Collection(ServerCollection.Name)]
public sealed class ClientSecretTests(ServerFixture server)
{
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GaSecretOpensASessionWithItsConfigurationThroughTheKeySubprotocol()
    {
        using HttpResponseMessage minted = await PostAsync("/v1/realtime/client_secrets", ServerFixture.ApiKey,
            """{"expires_after":{"anchor":"created_at","seconds":120},"session":{"type":"realtime","output_modalities":["text"],"instructions":"Be terse."}}""");
        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        JsonElement body = JsonDocument.Parse(await minted.Content.ReadAsStringAsync(Cancel)).RootElement;
        string secret = body.GetProperty("value").GetString()!;
        Assert.Matches("^ek_[A-Za-z0-9_-]{70,}$", secret);
        long expiresAt = body.GetProperty("expires_at").GetInt64();
        Assert.InRange(expiresAt - DateTimeOffset.UtcNow.ToUnixTimeSeconds(), 100, 121);

        using var socket = new ClientWebSocket();
        socket.Options.AddSubProtocol("realtime");
        socket.Options.AddSubProtocol("openai-insecure-api-key." + secret);
        await socket.ConnectAsync(new Uri($"{server.WsBase}/realtime?model=gpt-realtime"), Cancel);
        Assert.Equal("realtime", socket.SubProtocol);
        JsonElement created = await ReceiveAsync(socket);
        Assert.Equal("session.created", created.GetProperty("type").GetString());
        Assert.Equal("text", created.GetProperty("session").GetProperty("output_modalities")[0].GetString());
        Assert.Equal("Be terse.", created.GetProperty("session").GetProperty("instructions").GetString());
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
    }

    [Fact]
    public async Task BetaSessionsEndpointMintsAClientSecret()
    {
        using HttpResponseMessage minted = await PostAsync("/v1/realtime/sessions", ServerFixture.ApiKey, """{"modalities":["text"],"voice":"echo"}""");
        Assert.Equal(HttpStatusCode.OK, minted.StatusCode);
        JsonElement body = JsonDocument.Parse(await minted.Content.ReadAsStringAsync(Cancel)).RootElement;
        Assert.Equal("realtime.session", body.GetProperty("object").GetString());
        string secret = body.GetProperty("client_secret").GetProperty("value").GetString()!;

        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + secret);
        socket.Options.SetRequestHeader("OpenAI-Beta", "realtime=v1");
        await socket.ConnectAsync(new Uri($"{server.WsBase}/realtime?model=gpt-realtime"), Cancel);
        JsonElement created = await ReceiveAsync(socket);
        Assert.Equal("session.created", created.GetProperty("type").GetString());
        Assert.Equal("echo", created.GetProperty("session").GetProperty("voice").GetString());
        Assert.Equal(["text"], created.GetProperty("session").GetProperty("modalities").EnumerateArray().Select(m => m.GetString()));
    }

    [Fact]
    public async Task MintingNeedsTheRealKeyAndAValidSession()
    {
        using HttpResponseMessage anonymous = await PostAsync("/v1/realtime/client_secrets", null, "{}");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);

        using HttpResponseMessage minted = await PostAsync("/v1/realtime/client_secrets", ServerFixture.ApiKey, "{}");
        string secret = JsonDocument.Parse(await minted.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("value").GetString()!;
        using HttpResponseMessage withEphemeral = await PostAsync("/v1/realtime/client_secrets", secret, "{}");
        Assert.Equal(HttpStatusCode.Unauthorized, withEphemeral.StatusCode);

        using HttpResponseMessage badVoice = await PostAsync("/v1/realtime/client_secrets", ServerFixture.ApiKey,
            """{"session":{"type":"realtime","audio":{"output":{"voice":"nope"}}}}""");
        Assert.Equal(HttpStatusCode.BadRequest, badVoice.StatusCode);
        JsonElement error = JsonDocument.Parse(await badVoice.Content.ReadAsStringAsync(Cancel)).RootElement.GetProperty("error");
        Assert.Equal("invalid_value", error.GetProperty("code").GetString());
        Assert.Equal("session.audio.output.voice", error.GetProperty("param").GetString());

        using HttpResponseMessage badLifetime = await PostAsync("/v1/realtime/client_secrets", ServerFixture.ApiKey, """{"expires_after":{"anchor":"created_at","seconds":5}}""");
        Assert.Equal(HttpStatusCode.BadRequest, badLifetime.StatusCode);
    }

    [Fact]
    public async Task AnUnknownEphemeralKeyIsRejectedLikeAWrongKey()
    {
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer ek_notMintedHere000000000000000000000");
        await socket.ConnectAsync(new Uri($"{server.WsBase}/realtime?model=gpt-realtime"), Cancel);
        JsonElement error = await ReceiveAsync(socket);
        Assert.Equal("invalid_api_key", error.GetProperty("error").GetProperty("code").GetString());
        var buffer = new byte[256];
        WebSocketReceiveResult close = await socket.ReceiveAsync(buffer, Cancel);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(3000, (int)socket.CloseStatus!);
    }

    private async Task<HttpResponseMessage> PostAsync(string path, string? key, string json)
    {
        using var http = new HttpClient();
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server.Http, path)) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return await http.SendAsync(request, Cancel);
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket) =>
        await WebSocketJson.ReceiveAsync(socket, Cancel) ?? throw new InvalidOperationException("the server closed the connection");
}
