using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using Realtime.Wire.Events;

namespace Realtime.Wire.Http;

/// <summary>
/// Validates a Realtime WebSocket upgrade (RFC 6455 §4.2.1 plus the Realtime API's subprotocol, auth and
/// dialect rules) and writes the response head. No I/O.
/// </summary>
public static class Handshake
{
    /// <summary>The path of the Realtime endpoint.</summary>
    public const string RealtimePath = "/v1/realtime";

    private const string KeySubProtocolPrefix = "openai-insecure-api-key.";
    private const string RealtimeSubProtocol = "realtime";
    private const string BetaSubProtocol = "openai-beta.realtime-v1";
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    /// <summary>Decides how to answer <paramref name="request"/>.</summary>
    /// <param name="path">The endpoint's path: the Realtime endpoint, or another WebSocket endpoint with the same rules (telephony).</param>
    public static HandshakeDecision Decide(UpgradeRequest request, ApiKeySet keys, string path = RealtimePath)
    {
        if (request.Path != path)
        {
            return Fail(404, "Not found.");
        }

        if (request.Method != "GET")
        {
            return Fail(405, "Only GET can open a Realtime WebSocket.");
        }

        if (request.Version != "HTTP/1.1")
        {
            return Fail(400, "WebSocket upgrades need HTTP/1.1.");
        }

        if (!request.HeaderHasToken("Upgrade", "websocket"))
        {
            return Fail(426, "This endpoint needs a WebSocket upgrade (Upgrade: websocket).");
        }

        if (!request.HeaderHasToken("Connection", "upgrade"))
        {
            return Fail(400, "Missing 'Connection: Upgrade'.");
        }

        if (request.GetHeader("Sec-WebSocket-Version")?.Trim() != "13")
        {
            return Fail(426, "Only WebSocket version 13 is supported.");
        }

        string? key = request.GetHeader("Sec-WebSocket-Key")?.Trim();
        if (key is null || !IsValidKey(key))
        {
            return Fail(400, "Missing or invalid Sec-WebSocket-Key.");
        }

        bool offersRealtime = false, offersBeta = false;
        string? presentedKey = null, otherToken = null;
        string? protocols = request.GetHeader("Sec-WebSocket-Protocol");
        if (protocols is not null)
        {
            foreach (Range part in protocols.AsSpan().Split(','))
            {
                string token = protocols.AsSpan()[part].Trim().ToString();
                if (token.Length == 0)
                {
                    continue;
                }

                if (token == RealtimeSubProtocol)
                {
                    offersRealtime = true;
                }
                else if (token == BetaSubProtocol)
                {
                    offersBeta = true;
                }
                else if (token.StartsWith(KeySubProtocolPrefix, StringComparison.Ordinal))
                {
                    presentedKey ??= token[KeySubProtocolPrefix.Length..];
                }
                else
                {
                    otherToken ??= token;
                }
            }
        }

        // realtime-protocol.md §1.4: echo `realtime` when offered, else prefer the beta token, never a key token.
        string? subProtocol = offersRealtime ? RealtimeSubProtocol : offersBeta ? BetaSubProtocol : otherToken;

        string? authorization = request.GetHeader("Authorization");
        if (authorization is not null && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            presentedKey = authorization[7..].Trim();
        }

        AuthOutcome auth = keys.IsOpen ? AuthOutcome.Accepted
            : presentedKey is null ? AuthOutcome.Missing
            : keys.Contains(presentedKey) ? AuthOutcome.Accepted
            : AuthOutcome.Invalid;

        string? betaHeader = request.GetHeader("OpenAI-Beta");
        bool beta = offersBeta || (betaHeader is not null && betaHeader.Contains("realtime=v1", StringComparison.OrdinalIgnoreCase));

        return new HandshakeDecision
        {
            StatusCode = 101,
            AcceptKey = ComputeAccept(key),
            SubProtocol = subProtocol,
            Dialect = beta ? Dialect.Beta : Dialect.Ga,
            Model = request.GetQueryParameter("model") is { Length: > 0 } model ? model : null,
            TranscriptionIntent = request.GetQueryParameter("intent") == "transcription",
            Auth = auth,
            PresentedKey = presentedKey,
            AcceptedKey = auth == AuthOutcome.Accepted && !keys.IsOpen ? presentedKey : null,
        };
    }

    /// <summary>The 431 decision for a request head over the limit.</summary>
    public static HandshakeDecision HeadTooLarge() => Fail(431, "Request header fields too large.");

    /// <summary>The 400 decision for an unparsable request head.</summary>
    public static HandshakeDecision Malformed() => Fail(400, "Malformed request.");

    /// <summary>Sec-WebSocket-Accept for a client key (§4.2.2).</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5350", Justification = "RFC 6455 mandates SHA-1 for the accept key; it is not used for security.")]
    public static string ComputeAccept(string key)
    {
        Span<byte> digest = stackalloc byte[SHA1.HashSizeInBytes];
        SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid), digest);
        return Convert.ToBase64String(digest);
    }

    /// <summary>Writes the response head: 101 with accept and subprotocol (never extensions), or the error.</summary>
    public static void WriteResponse(IBufferWriter<byte> output, HandshakeDecision decision)
    {
        var text = new StringBuilder(256);
        if (decision.IsUpgrade)
        {
            text.Append("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
                .Append(decision.AcceptKey).Append("\r\n");
            if (decision.SubProtocol is not null)
            {
                text.Append("Sec-WebSocket-Protocol: ").Append(decision.SubProtocol).Append("\r\n");
            }

            text.Append("\r\n");
        }
        else
        {
            string body = decision.ErrorText + "\n";
            text.Append("HTTP/1.1 ").Append(decision.StatusCode).Append(' ').Append(ReasonPhrase(decision.StatusCode)).Append("\r\n")
                .Append("Content-Type: text/plain; charset=utf-8\r\nContent-Length: ").Append(Encoding.UTF8.GetByteCount(body)).Append("\r\n");
            if (decision.StatusCode == 405)
            {
                text.Append("Allow: GET\r\n");
            }
            else if (decision.StatusCode == 426)
            {
                text.Append("Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n");
            }

            text.Append("Connection: close\r\n\r\n").Append(body);
        }

        string head = text.ToString();
        Span<byte> span = output.GetSpan(Encoding.UTF8.GetByteCount(head));
        output.Advance(Encoding.UTF8.GetBytes(head, span));
    }

    /// <summary>Standard reason phrase for the statuses the handshake uses.</summary>
    public static string ReasonPhrase(int status) => status switch
    {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        426 => "Upgrade Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };

    private static bool IsValidKey(string key)
    {
        Span<byte> decoded = stackalloc byte[18];
        return key.Length == 24 && Convert.TryFromBase64String(key, decoded, out int written) && written == 16;
    }

    private static HandshakeDecision Fail(int status, string text) => new() { StatusCode = status, ErrorText = text };
}
