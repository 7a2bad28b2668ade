using System.Text;
using Realtime.Host.Observability;
using Realtime.Host.Operations;
using Realtime.Wire.Connections;

namespace Realtime.Host.Tests.Operations;

/// <summary>
/// A drain closes a session only between exchanges: never before its created event (a session admitted just before
/// the drain began must still say session.created first), never in the middle of a response.
/// </summary>
public sealed class DrainOrderTests
{
    [Theory]
    [InlineData("session.created")]
    [InlineData("transcription_session.created")]
    public void A_session_drained_before_it_said_created_closes_right_after_the_created_event(string created)
    {
        var wire = new RecordingOutput();
        var metered = new MeteredOutput(wire);
        var session = new OpenSession(null, metered);

        session.Drain();
        Assert.Empty(wire.Log);

        metered.QueueText(Event(created));
        Assert.Equal([created, "close 1001"], wire.Log);
    }

    [Fact]
    public void A_session_drained_mid_response_closes_after_response_done_and_not_before()
    {
        var wire = new RecordingOutput();
        var metered = new MeteredOutput(wire);
        var session = new OpenSession(null, metered);
        metered.QueueText(Event("session.created"));
        metered.QueueText(Event("response.created"));

        session.Drain();
        metered.QueueText(Event("response.output_text.delta"));
        Assert.DoesNotContain("close 1001", wire.Log);

        metered.QueueText(Event("response.done"));
        Assert.Equal(["session.created", "response.created", "response.output_text.delta", "response.done", "close 1001"], wire.Log);
    }

    [Fact]
    public void An_idle_opened_session_closes_at_once()
    {
        var wire = new RecordingOutput();
        var metered = new MeteredOutput(wire);
        metered.QueueText(Event("session.created"));

        new OpenSession(null, metered).Drain();

        Assert.Equal(["session.created", "close 1001"], wire.Log);
    }

    private static byte[] Event(string type) => Encoding.UTF8.GetBytes($"{{\"type\":\"{type}\",\"event_id\":\"event_1\"}}");

    private sealed class RecordingOutput : IMessageOutput
    {
        public List<string> Log { get; } = [];

        public long PendingBytes => 0;

        public bool SendText(ReadOnlySpan<byte> utf8Payload) => QueueText(utf8Payload);

        public bool QueueText(ReadOnlySpan<byte> utf8Payload)
        {
            string json = Encoding.UTF8.GetString(utf8Payload);
            int start = json.IndexOf("\"type\":\"", StringComparison.Ordinal) + 8;
            Log.Add(json[start..json.IndexOf('"', start)]);
            return true;
        }

        public void Close(ushort closeStatus, string reason) => Log.Add($"close {closeStatus}");
    }
}
