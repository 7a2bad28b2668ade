using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Realtime.Host.Observability;
using Realtime.Wire.Connections;
using Realtime.Wire.Frames;

namespace Realtime.Host.Operations;

/// <summary>
/// Sits between the connection and the realtime session: counts the session and its client events in the metrics,
/// applies the events-per-second limit, and releases the session's admission when it ends.
/// </summary>
internal sealed class GuardedSession(
    IWebSocketSession inner,
    MeteredOutput output,
    SessionRegistry registry,
    OpenSession admission,
    int maxEventsPerSecond) : IWebSocketSession
{
    private const string Alphanumerics = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    private readonly EventRateLimiter? _limiter = maxEventsPerSecond > 0 ? new EventRateLimiter(maxEventsPerSecond) : null;
    private bool _closedForFlooding;

    public void OnOpen()
    {
        RealtimeMetrics.SessionsOpen.Add(1);
        RealtimeMetrics.Sessions.Add(1);
        inner.OnOpen();
    }

    public void OnText(ReadOnlySequence<byte> message)
    {
        int type = EventTypeNames.IndexOf(message);
        EventCounts.Received(type, message.Length);
        if (_limiter is not null && !_limiter.TryTake())
        {
            RejectFlood();
            return;
        }

        if (type == EventTypeNames.ResponseCreate)
        {
            output.ResponseRequested();
        }

        inner.OnText(message);
    }

    public void OnBinary(ReadOnlySequence<byte> message)
    {
        EventCounts.Received(EventTypeNames.Binary, message.Length);
        inner.OnBinary(message);
    }

    public void OnClosed(CloseReason reason)
    {
        RealtimeMetrics.SessionsOpen.Add(-1);
        RealtimeMetrics.Closes.Add(
            1,
            new KeyValuePair<string, object?>("code", CloseCodeLabel(reason.Status)),
            new KeyValuePair<string, object?>("by", reason.InitiatedByPeer ? "client" : "server"));
        registry.Release(admission);
        inner.OnClosed(reason);
    }

    public ValueTask DisposeAsync() => inner.DisposeAsync();

    private static string CloseCodeLabel(ushort status) => status switch
    {
        0 => "none",
        1000 => "1000",
        1001 => "1001",
        1002 => "1002",
        1003 => "1003",
        1005 => "1005",
        1007 => "1007",
        1008 => "1008",
        1009 => "1009",
        1011 => "1011",
        1013 => "1013",
        _ => "other",
    };

    /// <summary>Drops the event with an error; a client that keeps flooding for a whole further bucket is closed (1008).</summary>
    private void RejectFlood()
    {
        if (_closedForFlooding)
        {
            return;
        }

        if (_limiter!.ConsecutiveDrops > maxEventsPerSecond)
        {
            _closedForFlooding = true;
            output.Close(CloseStatus.PolicyViolation, "rate limit exceeded");
            return;
        }

        var json = new ArrayBufferWriter<byte>(320);
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteString("type", "error");
            writer.WriteString("event_id", "event_" + new string(RandomNumberGenerator.GetItems<char>(Alphanumerics, 21)));
            writer.WriteStartObject("error");
            writer.WriteString("type", "rate_limit_error");
            writer.WriteString("code", "rate_limit_exceeded");
            writer.WriteString("message", $"More than {maxEventsPerSecond} client events per second; this event was dropped.");
            writer.WriteNull("param");
            writer.WriteNull("event_id");
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        output.SendText(json.WrittenSpan);
    }
}
