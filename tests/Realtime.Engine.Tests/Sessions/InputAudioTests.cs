using System.Text.Json;

namespace Realtime.Engine.Tests.Sessions;

public sealed class InputAudioTests
{
    private static string Append(int bytes) => $"{{\"type\":\"input_audio_buffer.append\",\"audio\":\"{Convert.ToBase64String(new byte[bytes])}\"}}";

    [Fact]
    public async Task CommitBelow100MsIsRejectedWithTheObservedMessage()
    {
        await using var h = new SessionHarness();
        JsonElement empty = (await h.Exchange("{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"k\"}")).Single().GetProperty("error");
        Assert.Equal("input_audio_buffer_commit_empty", empty.GetProperty("code").GetString());
        Assert.Equal("Error committing input audio buffer: buffer too small. Expected at least 100ms of audio, but buffer only has 0.00ms of audio.", empty.GetProperty("message").GetString());
        Assert.Equal("k", empty.GetProperty("event_id").GetString());
        h.Send(Append(48 * 50));
        JsonElement half = (await h.Exchange("{\"type\":\"input_audio_buffer.commit\"}")).Single().GetProperty("error");
        Assert.Contains("only has 50.00ms", half.GetProperty("message").GetString());
    }

    [Fact]
    public async Task CommitCreatesUserAudioItem()
    {
        await using var h = new SessionHarness();
        h.Send(Append(4800));
        h.Send(Append(4800));
        List<JsonElement> events = await h.Exchange("{\"type\":\"input_audio_buffer.commit\"}");
        Assert.Equal(["input_audio_buffer.committed", "conversation.item.added", "conversation.item.done"], events.Select(e => e.GetProperty("type").GetString()));
        string itemId = events[0].GetProperty("item_id").GetString()!;
        Assert.Matches("^item_[A-Za-z0-9]{21}$", itemId);
        JsonElement part = events[1].GetProperty("item").GetProperty("content").EnumerateArray().Single();
        Assert.Equal(("input_audio", JsonValueKind.Null), (part.GetProperty("type").GetString(), part.GetProperty("transcript").ValueKind));
        Assert.False(part.TryGetProperty("audio", out _));
        JsonElement retrieved = (await h.Exchange($"{{\"type\":\"conversation.item.retrieve\",\"item_id\":\"{itemId}\"}}")).Single(static e => e.GetProperty("type").GetString() == "conversation.item.retrieved");
        Assert.Equal(9600, retrieved.GetProperty("item").GetProperty("content")[0].GetProperty("audio").GetBytesFromBase64().Length);
        Assert.DoesNotContain("response.created", h.Output.Types());
    }

    [Fact]
    public async Task AppendIsSilentAndClearEmpties()
    {
        await using var h = new SessionHarness();
        await h.WaitFor("session.created");
        h.Send(Append(9600));
        h.Send("{\"type\":\"input_audio_buffer.clear\"}");
        await h.WaitFor("input_audio_buffer.cleared");
        Assert.Equal(["session.created", "input_audio_buffer.cleared"], h.Output.Types());
        JsonElement error = (await h.Exchange("{\"type\":\"input_audio_buffer.commit\"}")).Single();
        Assert.Equal("input_audio_buffer_commit_empty", error.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task BadFramesGetErrorsAndSessionContinues()
    {
        await using var h = new SessionHarness();
        JsonElement json = (await h.Exchange("{oops")).Single().GetProperty("error");
        Assert.Equal("invalid_json", json.GetProperty("code").GetString());
        JsonElement b64 = (await h.Exchange("{\"type\":\"input_audio_buffer.append\",\"event_id\":\"a1\",\"audio\":\"%%%\"}")).Single().GetProperty("error");
        Assert.Equal(("audio", "a1"), (b64.GetProperty("param").GetString(), b64.GetProperty("event_id").GetString()));
        h.Session.OnBinary(default);
        JsonElement binary = await h.WaitFor("error", 3);
        Assert.Equal("invalid_event", binary.GetProperty("error").GetProperty("code").GetString());
        JsonElement unknown = (await h.Exchange("{\"type\":\"output_audio_buffer.clear\"}")).Single().GetProperty("error");
        Assert.Equal(("invalid_value", "type", JsonValueKind.Null), (unknown.GetProperty("code").GetString(), unknown.GetProperty("param").GetString(), unknown.GetProperty("event_id").ValueKind));
        h.Send("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"]}}");
        await h.WaitFor("response.done");
    }
}
