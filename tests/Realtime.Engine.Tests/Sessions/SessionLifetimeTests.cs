using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Sessions;
using Realtime.Wire.Events;

namespace Realtime.Engine.Tests.Sessions;

public sealed class SessionLifetimeTests
{
    [Fact]
    public async Task ExpiryClosesWithSessionExpiredAnd1001()
    {
        await using var h = new SessionHarness(options: new RealtimeSessionOptions { MaxDuration = TimeSpan.FromMilliseconds(100) });
        JsonElement error = (await h.WaitFor("error")).GetProperty("error");
        Assert.Equal(("session_expired", JsonValueKind.Null), (error.GetProperty("code").GetString(), error.GetProperty("event_id").ValueKind));
        // The close follows the error on the session's loop; poll for it (a loaded machine may take a while).
        for (int i = 0; i < 1000 && h.Output.Closed is null; i++)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        Assert.Equal((ushort)1001, h.Output.Closed!.Value.Status);
    }

    [Fact]
    public async Task SessionsExpireInDeadlineOrderAndAClosedOneNever()
    {
        // Every session on the system clock shares one expiry queue and timer: deadlines added out of order must still
        // fire in order, each at its own time, and a session that closed first must leave the queue.
        await using var late = new SessionHarness(options: new RealtimeSessionOptions { MaxDuration = TimeSpan.FromMilliseconds(900) });
        await using var early = new SessionHarness(options: new RealtimeSessionOptions { MaxDuration = TimeSpan.FromMilliseconds(150) });
        var closedFirst = new SessionHarness(options: new RealtimeSessionOptions { MaxDuration = TimeSpan.FromMilliseconds(300) });
        await using var middle = new SessionHarness(options: new RealtimeSessionOptions { MaxDuration = TimeSpan.FromMilliseconds(450) });
        Assert.True(((RealtimeSession)closedFirst.Session).ExpiryQueued);
        await closedFirst.DisposeAsync();

        await early.WaitFor("error");
        Assert.Null(late.Output.Closed);
        Assert.False(((RealtimeSession)closedFirst.Session).ExpiryQueued, "a closed session must leave the expiry queue");
        Assert.True(((RealtimeSession)late.Session).ExpiryQueued);
        await middle.WaitFor("error");
        await late.WaitFor("error");
        foreach (SessionHarness h in new[] { early, middle, late })
        {
            Assert.Equal("session_expired", h.Output.Events.Single(e => e.GetProperty("type").GetString() == "error").GetProperty("error").GetProperty("code").GetString());
        }

        // The closed session's deadline (300 ms) has long passed by the late one's (900 ms): it said nothing.
        Assert.DoesNotContain(closedFirst.Output.Events, e => e.GetProperty("type").GetString() == "error");
        Assert.Null(closedFirst.Output.Closed);
    }

    [Fact]
    public async Task OutOfBandRunsConcurrentlyWithDefaultResponse()
    {
        await using var h = new SessionHarness();
        h.Model.DelayPerDelta = TimeSpan.FromMilliseconds(20);
        h.Model.Script = r => r.Instructions == "oob" ? [new ChatDelta(ChatDeltaKind.Text, "side")] : Enumerable.Range(0, 30).Select(_ => new ChatDelta(ChatDeltaKind.Text, "main "));
        h.Send("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"]}}");
        await h.WaitFor("response.output_text.delta");
        h.Send("{\"type\":\"response.create\",\"response\":{\"conversation\":\"none\",\"instructions\":\"oob\",\"output_modalities\":[\"text\"]}}");
        JsonElement first = await h.WaitFor("response.done");
        JsonElement second = await h.WaitFor("response.done", 2);
        Assert.Equal(JsonValueKind.Null, first.GetProperty("response").GetProperty("conversation_id").ValueKind);
        Assert.StartsWith("conv_", second.GetProperty("response").GetProperty("conversation_id").GetString());
        Assert.DoesNotContain(h.Output.Events, e => e.GetProperty("type").GetString() == "error");
    }

    [Fact]
    public async Task CancelByIdCancelsThatResponse()
    {
        await using var h = new SessionHarness();
        h.Model.DelayPerDelta = TimeSpan.FromMilliseconds(20);
        h.Model.Script = _ => Enumerable.Range(0, 100).Select(_ => new ChatDelta(ChatDeltaKind.Text, "x "));
        h.Send("{\"type\":\"response.create\",\"response\":{\"conversation\":\"none\",\"output_modalities\":[\"text\"]}}");
        string id = (await h.WaitFor("response.created")).GetProperty("response").GetProperty("id").GetString()!;
        h.Send("{\"type\":\"response.cancel\"}");
        Assert.Equal("response_cancel_not_active", (await h.WaitFor("error")).GetProperty("error").GetProperty("code").GetString());
        h.Send($"{{\"type\":\"response.cancel\",\"response_id\":\"{id}\"}}");
        JsonElement done = await h.WaitFor("response.done");
        Assert.Equal((id, "cancelled"), (done.GetProperty("response").GetProperty("id").GetString(), done.GetProperty("response").GetProperty("status").GetString()));
    }

    [Fact]
    public async Task VoiceCannotChangeAfterAudio()
    {
        await using var h = new SessionHarness();
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("response.done");
        JsonElement error = (await h.Exchange("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"output\":{\"voice\":\"ash\"}}}}")).Single().GetProperty("error");
        Assert.Equal("session.audio.output.voice", error.GetProperty("param").GetString());
        JsonElement same = (await h.Exchange("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{\"output\":{\"voice\":\"alloy\"}}}}")).Single();
        Assert.Equal("session.updated", same.GetProperty("type").GetString());
    }

    [Fact]
    public async Task BetaAudioTurnUsesBetaNames()
    {
        await using var h = new SessionHarness(Dialect.Beta);
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("rate_limits.updated");
        List<string> types = h.Output.Types();
        Assert.Contains("response.audio.delta", types);
        Assert.Contains("response.audio_transcript.delta", types);
        Assert.Contains("response.audio.done", types);
        Assert.Contains("response.audio_transcript.done", types);
        Assert.DoesNotContain(types, t => t.Contains("output_audio") || t.Contains("output_text") || t == "conversation.item.added" || t == "conversation.item.done");
        JsonElement response = (await h.WaitFor("response.done")).GetProperty("response");
        Assert.Equal("audio", response.GetProperty("output")[0].GetProperty("content")[0].GetProperty("type").GetString());
        Assert.Equal("pcm16", response.GetProperty("output_audio_format").GetString());
    }

    [Fact]
    public async Task PacedAppendsAllocateNothingOnceWarm()
    {
        await using var h = new SessionHarness();
        await h.WaitFor("session.created");
        byte[] message = System.Text.Encoding.UTF8.GetBytes($"{{\"type\":\"input_audio_buffer.append\",\"audio\":\"{Convert.ToBase64String(new byte[960])}\"}}");
        var sequence = new System.Buffers.ReadOnlySequence<byte>(message);
        var session = (RealtimeSession)h.Session;

        // Paced like a client (one append in flight): a burst would simply need more pooled buffers.
        void AppendAndWait()
        {
            long handled = session.HandledMessages;
            session.OnText(sequence);
            while (session.HandledMessages == handled)
            {
                Thread.SpinWait(20);
            }
        }

        // Warm-up: the input buffer grows to hold 300 appends once; a clear keeps its capacity.
        for (int i = 0; i < 300; i++)
        {
            AppendAndWait();
        }

        long cleared = session.HandledMessages;
        session.OnText(new System.Buffers.ReadOnlySequence<byte>("{\"type\":\"input_audio_buffer.clear\"}"u8.ToArray()));
        while (session.HandledMessages == cleared)
        {
            Thread.SpinWait(20);
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 300; i++)
        {
            AppendAndWait();
        }

        // An append on the connection's thread (copy to a pooled buffer, queue, and, the loop being idle, parse, decode
        // and buffer it right there) allocates nothing.
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
