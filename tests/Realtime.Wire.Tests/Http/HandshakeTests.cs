using System.Buffers;
using System.Text;
using Realtime.Wire.Events;
using Realtime.Wire.Http;

namespace Realtime.Wire.Tests.Http;

public sealed class HandshakeTests
{
    private const string Key = "dGhlIHNhbXBsZSBub25jZQ==";
    private static readonly ApiKeySet NoAuth = new([]);
    private static readonly ApiKeySet Keys = new(["sk-test-good-key-123456", "sk-other"]);

    private static string Request(string extraHeaders = "", string target = "/v1/realtime?model=gpt-realtime", string method = "GET") =>
        $"{method} {target} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: {Key}\r\n{extraHeaders}\r\n";

    private static UpgradeRequest Parse(string head)
    {
        Assert.Equal(UpgradeParseStatus.Done, UpgradeRequestParser.TryParse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(head)), 16384, out UpgradeRequest? request, out _));
        return request!;
    }

    private static HandshakeDecision Decide(string head, ApiKeySet? keys = null) => Handshake.Decide(Parse(head), keys ?? NoAuth);

    [Fact]
    public void Accept_key_matches_rfc_6455_example() => Assert.Equal("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", Handshake.ComputeAccept(Key));

    [Fact]
    public void Valid_upgrade_writes_101_without_extensions()
    {
        HandshakeDecision decision = Decide(Request("Sec-WebSocket-Extensions: permessage-deflate\r\nSec-WebSocket-Protocol: realtime\r\n"));
        var output = new ArrayBufferWriter<byte>();
        Handshake.WriteResponse(output, decision);
        Assert.Equal(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: realtime\r\n\r\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
        Assert.Equal("gpt-realtime", decision.Model);
        Assert.Equal(Dialect.Ga, decision.Dialect);
        Assert.False(decision.TranscriptionIntent);
    }

    [Theory]
    [InlineData("", null)]
    [InlineData("Sec-WebSocket-Protocol: realtime\r\n", "realtime")]
    [InlineData("Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.sk-x, openai-beta.realtime-v1\r\n", "realtime")]
    [InlineData("Sec-WebSocket-Protocol: openai-insecure-api-key.sk-x, openai-beta.realtime-v1\r\n", "openai-beta.realtime-v1")]
    [InlineData("Sec-WebSocket-Protocol: openai-insecure-api-key.sk-x\r\n", null)]
    [InlineData("Sec-WebSocket-Protocol: realtime, openai-agents-sdk.0.1\r\n", "realtime")]
    [InlineData("Sec-WebSocket-Protocol: openai-insecure-api-key.sk-x\r\nSec-WebSocket-Protocol: realtime\r\n", "realtime")]
    public void Subprotocol_echo_follows_the_spec(string headers, string? expected) => Assert.Equal(expected, Decide(Request(headers)).SubProtocol);

    [Theory]
    [InlineData("", Dialect.Ga)]
    [InlineData("OpenAI-Beta: realtime=v1\r\n", Dialect.Beta)]
    [InlineData("openai-beta: assistants=v2, realtime=v1\r\n", Dialect.Beta)]
    [InlineData("Sec-WebSocket-Protocol: realtime, openai-beta.realtime-v1\r\n", Dialect.Beta)]
    public void Dialect_detection(string headers, Dialect expected) => Assert.Equal(expected, Decide(Request(headers)).Dialect);

    [Theory]
    [InlineData("", AuthOutcome.Missing)]
    [InlineData("Authorization: Bearer sk-test-good-key-123456\r\n", AuthOutcome.Accepted)]
    [InlineData("authorization: bearer sk-other\r\n", AuthOutcome.Accepted)]
    [InlineData("Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.sk-test-good-key-123456\r\n", AuthOutcome.Accepted)]
    [InlineData("Authorization: Bearer sk-wrong\r\n", AuthOutcome.Invalid)]
    [InlineData("Sec-WebSocket-Protocol: realtime, openai-insecure-api-key.sk-test-good-key-12345\r\n", AuthOutcome.Invalid)]
    [InlineData("Authorization: Basic abc\r\n", AuthOutcome.Missing)]
    public void Auth_checks_header_and_subprotocol(string headers, AuthOutcome expected)
    {
        HandshakeDecision decision = Decide(Request(headers), Keys);
        Assert.Equal(101, decision.StatusCode);
        Assert.Equal(expected, decision.Auth);
        // The presented key is kept whenever there was one: to mask it in an error, or to redeem an ephemeral client secret.
        Assert.Equal(expected != AuthOutcome.Missing, decision.PresentedKey is not null);
        Assert.Equal(AuthOutcome.Accepted, Decide(Request(headers)).Auth);
    }

    [Fact]
    public void Query_parameters_are_url_decoded()
    {
        HandshakeDecision decision = Decide(Request(target: "/v1/realtime?foo=1&model=gpt%2Drealtime%20mini&intent=transcription"));
        Assert.Equal("gpt-realtime mini", decision.Model);
        Assert.True(decision.TranscriptionIntent);
        Assert.Null(Decide(Request(target: "/v1/realtime")).Model);
    }

    [Theory]
    [InlineData("POST", "/v1/realtime", "", 405)]
    [InlineData("GET", "/v1/other", "", 404)]
    public void Wrong_method_or_path(string method, string target, string headers, int status) => Assert.Equal(status, Decide(Request(headers, target, method)).StatusCode);

    [Theory]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n", 400)]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 8\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 426)]
    [InlineData("Upgrade: websocket\r\nConnection: keep-alive\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 400)]
    [InlineData("Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n", 426)]
    [InlineData("Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: c2hvcnQ=\r\n", 400)]
    public void Bad_upgrade_headers(string headers, int status)
    {
        HandshakeDecision decision = Handshake.Decide(Parse($"GET /v1/realtime HTTP/1.1\r\nHost: x\r\n{headers}\r\n"), NoAuth);
        Assert.Equal(status, decision.StatusCode);
        var output = new ArrayBufferWriter<byte>();
        Handshake.WriteResponse(output, decision);
        string response = Encoding.UTF8.GetString(output.WrittenSpan);
        Assert.StartsWith($"HTTP/1.1 {status} ", response);
        Assert.EndsWith("\r\n\r\n" + decision.ErrorText + "\n", response);
    }

    [Fact]
    public void Head_parses_identically_at_every_cut_point_and_respects_the_limit()
    {
        byte[] head = Encoding.UTF8.GetBytes(Request("Sec-WebSocket-Protocol: realtime\r\n") + "FRAMEBYTES");
        for (int cut = 0; cut < head.Length - 10; cut++)
        {
            Assert.Equal(UpgradeParseStatus.NeedMoreData, UpgradeRequestParser.TryParse(new ReadOnlySequence<byte>(head, 0, cut), 16384, out _, out _));
        }

        Assert.Equal(UpgradeParseStatus.Done, UpgradeRequestParser.TryParse(new ReadOnlySequence<byte>(head), 16384, out UpgradeRequest? request, out SequencePosition end));
        Assert.Equal(head.Length - 10, end.GetInteger());
        Assert.Equal("realtime", request!.GetHeader("sec-websocket-protocol"));
        Assert.Equal(UpgradeParseStatus.TooLarge, UpgradeRequestParser.TryParse(new ReadOnlySequence<byte>(head), 100, out _, out _));
        Assert.Equal(UpgradeParseStatus.TooLarge, UpgradeRequestParser.TryParse(new ReadOnlySequence<byte>(new byte[200]), 100, out _, out _));
        Assert.Equal(UpgradeParseStatus.Malformed, UpgradeRequestParser.TryParse(new ReadOnlySequence<byte>("GET /v1/realtime HTTP/1.1\r\n bad\r\n\r\n"u8.ToArray()), 100, out _, out _));
    }

    [Theory]
    [InlineData("GET /v1/realtime HTTP/1.1", true)]
    [InlineData("GET /v1/realtime?model=x", true)]
    [InlineData("GET /v1/realtimex", false)]
    [InlineData("GET /healthz HTTP/1.1", false)]
    [InlineData("POST /v1/realtime", false)]
    [InlineData("GET /v1/real", null)]
    [InlineData("", null)]
    public void Peek_decides_on_the_request_line(string start, bool? expected) =>
        Assert.Equal(expected, UpgradeRequestParser.StartsAsRealtimeRequest(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(start))));
}
