using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Realtime.Host.Tests.Connections;

public sealed class WebSocketEndToEndTests
{
    private const string GoodKey = "sk-test-0123456789abcdefWXYZ";
    private const string UpgradeHead = "GET /v1/realtime?model=m HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n";
    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private static byte[] MaskedFrame(byte opcode, byte[] payload, bool masked = true)
    {
        byte[] key = [1, 2, 3, 4];
        var frame = new List<byte> { (byte)(0x80 | opcode) };
        if (payload.Length <= 125)
        {
            frame.Add((byte)((masked ? 0x80 : 0) | payload.Length));
        }
        else
        {
            frame.Add((byte)((masked ? 0x80 : 0) | 126));
            frame.Add((byte)(payload.Length >> 8));
            frame.Add((byte)payload.Length);
        }

        if (masked)
        {
            frame.AddRange(key);
        }

        frame.AddRange(payload.Select((b, i) => masked ? (byte)(b ^ key[i % 4]) : b));
        return [.. frame];
    }

    private static async Task<string> ReceiveTextAsync(WebSocket socket)
    {
        var buffer = new byte[17 * 1024 * 1024];
        int length = 0;
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(length), Cancel);
            length += result.Count;
        }
        while (!result.EndOfMessage);
        Assert.Equal(WebSocketMessageType.Text, result.MessageType);
        return Encoding.UTF8.GetString(buffer, 0, length);
    }

    [Fact]
    public async Task ClientWebSocket_echoes_0_bytes_to_16_MiB_and_closes_cleanly()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var client = new ClientWebSocket();
        client.Options.AddSubProtocol("realtime");
        await client.ConnectAsync(server.WebSocketUri(), Cancel);
        Assert.Equal("realtime", client.SubProtocol);
        var random = new Random(5);
        foreach (int size in new[] { 0, 1, 125, 126, 65535, 65536, 300_000, 16 * 1024 * 1024 })
        {
            string text = new(Enumerable.Range(0, size).Select(_ => (char)random.Next('a', 'z' + 1)).ToArray());
            await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Cancel);
            Assert.Equal(text, await ReceiveTextAsync(client));
        }

        await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, client.CloseStatus);
    }

    [Fact]
    public async Task Node_ws_echoes_pings_and_closes_with_1000()
    {
        await using TestServer server = await TestServer.StartAsync();
        JsonElement result = await NodeClient.RunAsync(server.WebSocketUri(), """{"protocols":["realtime"],"sizes":[0,5,126,70000,16777216],"ping":true}""");
        Assert.True(result.GetProperty("opened").GetBoolean(), result.ToString());
        Assert.Equal("realtime", result.GetProperty("protocol").GetString());
        Assert.Equal(5, result.GetProperty("echoes").GetArrayLength());
        Assert.All(result.GetProperty("echoes").EnumerateArray(), e => Assert.True(e.GetProperty("ok").GetBoolean()));
        Assert.True(result.GetProperty("pong").GetBoolean());
        Assert.Equal(1000, result.GetProperty("close")[0].GetInt32());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Node_ws_without_subprotocols_gets_no_protocol_header()
    {
        await using TestServer server = await TestServer.StartAsync();
        JsonElement result = await NodeClient.RunAsync(server.WebSocketUri(), """{"sizes":[3]}""");
        Assert.Equal(string.Empty, result.GetProperty("protocol").GetString());
        Assert.Equal(1000, result.GetProperty("close")[0].GetInt32());
        Assert.Equal(JsonValueKind.Null, result.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Raw_handshake_ping_pong_binary_and_key_subprotocol_never_echoed()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawConnection raw = await RawConnection.ConnectAsync(server.Address);
        await raw.SendAsync(UpgradeHead + "Sec-WebSocket-Protocol: openai-insecure-api-key.sk-secret\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n");
        string head = await raw.ReadHeadAsync();
        Assert.Equal("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n", head);

        await raw.SendAsync(MaskedFrame(0x9, [7, 8, 9]));
        Assert.Equal(new byte[] { 0x8A, 3, 7, 8, 9 }, await raw.ReadExactlyAsync(5));

        // Binary goes to the session (the echo session ignores it) and the socket stays open.
        await raw.SendAsync(MaskedFrame(0x2, [1, 2, 3]));
        await raw.SendAsync(MaskedFrame(0x1, "hi"u8.ToArray()));
        Assert.Equal(new byte[] { 0x81, 2, (byte)'h', (byte)'i' }, await raw.ReadExactlyAsync(4));

        await raw.SendAsync(MaskedFrame(0x8, [0x03, 0xE8]));
        Assert.Equal(new byte[] { 0x88, 2, 0x03, 0xE8 }, await raw.ReadToEndAsync());
    }

    [Fact]
    public async Task Protocol_violation_closes_with_1002_and_oversized_message_with_1009()
    {
        await using TestServer server = await TestServer.StartAsync("http", "--Realtime:Limits:MaxMessageBytes=22020096");
        await using (RawConnection raw = await RawConnection.ConnectAsync(server.Address))
        {
            await raw.SendAsync(UpgradeHead + "\r\n");
            await raw.ReadHeadAsync();
            await raw.SendAsync(MaskedFrame(0x1, "x"u8.ToArray(), masked: false));
            byte[] close = await raw.ReadToEndAsync();
            Assert.Equal(new byte[] { 0x88 }, close[..1]);
            Assert.Equal(1002, BinaryPrimitives.ReadUInt16BigEndian(close.AsSpan(2)));
        }

        await using (RawConnection raw = await RawConnection.ConnectAsync(server.Address))
        {
            await raw.SendAsync(UpgradeHead + "\r\n");
            await raw.ReadHeadAsync();
            byte[] header = [0x82, 0xFF, 0, 0, 0, 0, 0x01, 0x50, 0, 1, 1, 2, 3, 4];
            await raw.SendAsync(header);
            byte[] close = await raw.ReadToEndAsync();
            Assert.Equal(1009, BinaryPrimitives.ReadUInt16BigEndian(close.AsSpan(2)));
        }
    }

    [Fact]
    public async Task Keepalive_pings_carry_4_bytes()
    {
        await using TestServer server = await TestServer.StartAsync("http", "--Realtime:WebSocket:KeepAliveIntervalSeconds=0.1");
        await using RawConnection raw = await RawConnection.ConnectAsync(server.Address);
        await raw.SendAsync(UpgradeHead + "\r\n");
        await raw.ReadHeadAsync();
        byte[] ping = await raw.ReadExactlyAsync(6);
        Assert.Equal(0x89, ping[0]);
        Assert.Equal(4, ping[1]);
    }

    [Fact]
    public async Task Healthz_and_keep_alive_requests_before_an_upgrade_share_the_port()
    {
        await using TestServer server = await TestServer.StartAsync();
        using var http = new HttpClient();
        Assert.StartsWith("{\"status\":\"ok\"", await http.GetStringAsync(new Uri(server.Address, "/healthz"), Cancel), StringComparison.Ordinal);

        await using RawConnection raw = await RawConnection.ConnectAsync(server.Address);
        await raw.SendAsync("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
        string first = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 200 OK", first);
        int length = int.Parse(first.Split("\r\n").Single(h => h.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.StartsWith("{\"status\":\"ok\"", Encoding.ASCII.GetString(await raw.ReadExactlyAsync(length)), StringComparison.Ordinal);

        // The same connection now upgrades: the HTTP pipeline's fallback endpoint takes it.
        await raw.SendAsync(UpgradeHead + "Sec-WebSocket-Protocol: realtime\r\n\r\n");
        string upgrade = await raw.ReadHeadAsync();
        Assert.StartsWith("HTTP/1.1 101 Switching Protocols", upgrade);
        Assert.Contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", upgrade);
        Assert.Contains("Sec-WebSocket-Protocol: realtime", upgrade);
        Assert.DoesNotContain("Sec-WebSocket-Extensions", upgrade);

        using WebSocket socket = WebSocket.CreateFromStream(new PrefixedStream(raw.TakeBuffered(), raw.Stream), new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
        await socket.SendAsync("after keep-alive"u8.ToArray(), WebSocketMessageType.Text, true, Cancel);
        Assert.Equal("after keep-alive", await ReceiveTextAsync(socket));
        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, socket.CloseStatus);
    }

    [Theory]
    [InlineData("POST /v1/realtime HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 405")]
    [InlineData("GET /v1/realtime HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 426")]
    [InlineData("GET /v1/realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", "HTTP/1.1 426")]
    [InlineData("GET /v1/realtime HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n", "HTTP/1.1 400")]
    [InlineData("GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 404")]
    public async Task Bad_upgrade_requests_get_http_errors(string request, string statusLine)
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawConnection raw = await RawConnection.ConnectAsync(server.Address);
        await raw.SendAsync(request);
        Assert.StartsWith(statusLine, await raw.ReadHeadAsync());
    }

    [Fact]
    public async Task Oversized_upgrade_head_gets_431()
    {
        await using TestServer server = await TestServer.StartAsync();
        await using RawConnection raw = await RawConnection.ConnectAsync(server.Address);
        await raw.SendAsync(UpgradeHead + "X-Big: " + new string('a', 20_000) + "\r\n\r\n");
        Assert.StartsWith("HTTP/1.1 431", await raw.ReadHeadAsync());
    }

    [Fact]
    public async Task Good_key_by_header_and_by_subprotocol_is_accepted()
    {
        await using TestServer server = await TestServer.StartAsync("http", $"--Realtime:ApiKeys:0={GoodKey}");
        using (var client = new ClientWebSocket())
        {
            client.Options.SetRequestHeader("Authorization", "Bearer " + GoodKey);
            await client.ConnectAsync(server.WebSocketUri(), Cancel);
            await client.SendAsync("{}"u8.ToArray(), WebSocketMessageType.Text, true, Cancel);
            Assert.Equal("{}", await ReceiveTextAsync(client));
            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        }

        JsonElement result = await NodeClient.RunAsync(server.WebSocketUri(), $$"""{"protocols":["realtime","openai-insecure-api-key.{{GoodKey}}"],"sizes":[10]}""");
        Assert.Equal("realtime", result.GetProperty("protocol").GetString());
        Assert.True(result.GetProperty("echoes")[0].GetProperty("ok").GetBoolean());
        Assert.Equal(1000, result.GetProperty("close")[0].GetInt32());
    }

    [Fact]
    public async Task Wrong_key_gets_error_event_and_close_3000()
    {
        await using TestServer server = await TestServer.StartAsync("http", $"--Realtime:ApiKeys:0={GoodKey}");
        const string wrong = "sk-wrong-key-0000000000009876";
        JsonElement result = await NodeClient.RunAsync(server.WebSocketUri(), $$$"""{"headers":{"Authorization":"Bearer {{{wrong}}}"}}""");
        Assert.True(result.GetProperty("opened").GetBoolean());
        Assert.Equal(3000, result.GetProperty("close")[0].GetInt32());
        Assert.Equal("invalid_request_error.invalid_api_key", result.GetProperty("close")[1].GetString());
        Assert.Equal(1, result.GetProperty("received").GetArrayLength());
        using JsonDocument error = JsonDocument.Parse(result.GetProperty("received")[0].GetString()!);
        JsonElement root = error.RootElement;
        Assert.Equal("error", root.GetProperty("type").GetString());
        Assert.StartsWith("event_", root.GetProperty("event_id").GetString());
        Assert.Equal(27, root.GetProperty("event_id").GetString()!.Length);
        Assert.Equal("invalid_request_error", root.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", root.GetProperty("error").GetProperty("code").GetString());
        string message = root.GetProperty("error").GetProperty("message").GetString()!;
        Assert.StartsWith("Incorrect API key provided: sk-wro***9876.", message);
        Assert.DoesNotContain(wrong, message);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").GetProperty("param").ValueKind);
        Assert.Equal(JsonValueKind.Null, root.GetProperty("error").GetProperty("event_id").ValueKind);
    }

    [Fact]
    public async Task Missing_key_gets_error_with_null_code_and_close_3000()
    {
        await using TestServer server = await TestServer.StartAsync("http", $"--Realtime:ApiKeys:0={GoodKey}");
        using var client = new ClientWebSocket();
        await client.ConnectAsync(server.WebSocketUri(), Cancel);
        using JsonDocument error = JsonDocument.Parse(await ReceiveTextAsync(client));
        Assert.Equal(JsonValueKind.Null, error.RootElement.GetProperty("error").GetProperty("code").ValueKind);
        Assert.Equal("Missing bearer or basic authentication in header", error.RootElement.GetProperty("error").GetProperty("message").GetString());
        ValueWebSocketReceiveResult close = await client.ReceiveAsync(new byte[16].AsMemory(), Cancel);
        Assert.Equal(WebSocketMessageType.Close, close.MessageType);
        Assert.Equal(3000, (int)client.CloseStatus!.Value);
        Assert.Equal("invalid_request_error", client.CloseStatusDescription);
    }

    [Fact]
    public async Task Wss_with_a_self_signed_certificate_works_for_dotnet_and_node()
    {
        string directory = Directory.CreateTempSubdirectory("realtime-tls-").FullName;
        using (RSA rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=127.0.0.1", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(System.Net.IPAddress.Loopback);
            request.CertificateExtensions.Add(san.Build());
            using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
            await File.WriteAllTextAsync(Path.Combine(directory, "cert.pem"), certificate.ExportCertificatePem(), Cancel);
            await File.WriteAllTextAsync(Path.Combine(directory, "key.pem"), rsa.ExportPkcs8PrivateKeyPem(), Cancel);
        }

        await using TestServer server = await TestServer.StartAsync(
            "https",
            $"--Kestrel:Certificates:Default:Path={Path.Combine(directory, "cert.pem")}",
            $"--Kestrel:Certificates:Default:KeyPath={Path.Combine(directory, "key.pem")}");
        Assert.Equal("https", server.Address.Scheme);

        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
        using var http = new HttpClient(handler);
        Assert.StartsWith("{\"status\":\"ok\"", await http.GetStringAsync(new Uri(server.Address, "/healthz"), Cancel), StringComparison.Ordinal);

        using (var client = new ClientWebSocket())
        {
            client.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
            client.Options.AddSubProtocol("realtime");
            await client.ConnectAsync(server.WebSocketUri(), Cancel);
            await client.SendAsync("secure"u8.ToArray(), WebSocketMessageType.Text, true, Cancel);
            Assert.Equal("secure", await ReceiveTextAsync(client));

            // Frames the reader holds in the pipe until whole, larger than Kestrel's default 1 MiB TLS pipe buffer:
            // they must not stall behind it (the TLS pipe must hold as much as the reader waits for).
            foreach (int size in new[] { 1_500_000, (2 * 1024 * 1024) - 64 })
            {
                string text = new('t', size);
                await client.SendAsync(Encoding.UTF8.GetBytes(text), WebSocketMessageType.Text, true, Cancel);
                Assert.Equal(text, await ReceiveTextAsync(client));
            }

            await client.CloseAsync(WebSocketCloseStatus.NormalClosure, "OK", Cancel);
        }

        JsonElement result = await NodeClient.RunAsync(server.WebSocketUri(), """{"protocols":["realtime"],"sizes":[100000],"insecure":true}""");
        Assert.True(result.GetProperty("echoes")[0].GetProperty("ok").GetBoolean(), result.ToString());
        Assert.Equal(1000, result.GetProperty("close")[0].GetInt32());
        Directory.Delete(directory, recursive: true);
    }
}
