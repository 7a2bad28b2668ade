using System.Text.Json;

namespace Realtime.Engine.Tests.Sessions;

public sealed class ConversationTests
{
    private static string UserText(string id, string text, string? previous = null) =>
        $"{{\"type\":\"conversation.item.create\",\"event_id\":\"c-{id}\",{(previous is null ? "" : $"\"previous_item_id\":\"{previous}\",")}\"item\":{{\"id\":\"{id}\",\"object\":\"realtime.item\",\"status\":\"completed\",\"type\":\"message\",\"role\":\"user\",\"content\":[{{\"type\":\"input_text\",\"text\":\"{text}\"}}]}}}}";

    [Fact]
    public async Task CreateKeepsIdsAndOrdering()
    {
        await using var h = new SessionHarness();
        List<JsonElement> first = await h.Exchange(UserText("a", "one"));
        Assert.Equal(["conversation.item.added", "conversation.item.done"], first.Select(e => e.GetProperty("type").GetString()));
        Assert.All(first, e => Assert.Equal("a", e.GetProperty("item").GetProperty("id").GetString()));
        Assert.Equal(JsonValueKind.Null, first[0].GetProperty("previous_item_id").ValueKind);
        List<JsonElement> second = await h.Exchange(UserText("b", "two"));
        Assert.Equal("a", second[0].GetProperty("previous_item_id").GetString());
        List<JsonElement> root = await h.Exchange(UserText("c", "zero", "root"));
        Assert.Equal(JsonValueKind.Null, root[0].GetProperty("previous_item_id").ValueKind);
        List<JsonElement> middle = await h.Exchange(UserText("d", "half", "a"));
        Assert.Equal("a", middle[0].GetProperty("previous_item_id").GetString());
        Assert.DoesNotContain("response.created", h.Output.Types());

        h.Send("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"]}}");
        await h.WaitFor("response.done");
        Assert.Equal(["zero", "one", "half", "two"], h.Model.LastRequest!.Messages.Select(m => m.Content));
    }

    [Fact]
    public async Task CreateErrors()
    {
        await using var h = new SessionHarness();
        await h.Exchange(UserText("a", "one"));
        JsonElement duplicate = (await h.Exchange(UserText("a", "again"))).Single().GetProperty("error");
        Assert.Equal(("invalid_value", "item.id", "c-a"), (duplicate.GetProperty("code").GetString(), duplicate.GetProperty("param").GetString(), duplicate.GetProperty("event_id").GetString()));
        JsonElement unknown = (await h.Exchange(UserText("b", "x", "nope"))).Single().GetProperty("error");
        Assert.Equal("previous_item_id", unknown.GetProperty("param").GetString());
        JsonElement role = (await h.Exchange("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"robot\",\"content\":[]}}")).Single().GetProperty("error");
        Assert.Equal(("invalid_value", "item.role"), (role.GetProperty("code").GetString(), role.GetProperty("param").GetString()));
        JsonElement audio = (await h.Exchange("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"assistant\",\"content\":[{\"type\":\"output_audio\"}]}}")).Single().GetProperty("error");
        Assert.Equal("item.content[0].type", audio.GetProperty("param").GetString());
        JsonElement missing = (await h.Exchange("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"function_call_output\",\"output\":\"x\"}}")).Single().GetProperty("error");
        Assert.Equal(("missing_required_parameter", "item.call_id"), (missing.GetProperty("code").GetString(), missing.GetProperty("param").GetString()));
    }

    [Fact]
    public async Task RetrieveAndDelete()
    {
        await using var h = new SessionHarness();
        await h.Exchange(UserText("a", "one"));
        JsonElement retrieved = (await h.Exchange("{\"type\":\"conversation.item.retrieve\",\"item_id\":\"a\"}")).Single(static e => e.GetProperty("type").GetString() == "conversation.item.retrieved");
        Assert.Equal("conversation.item.retrieved", retrieved.GetProperty("type").GetString());
        Assert.Equal("one", retrieved.GetProperty("item").GetProperty("content")[0].GetProperty("text").GetString());
        JsonElement missing = (await h.Exchange("{\"type\":\"conversation.item.retrieve\",\"item_id\":\"zz\",\"event_id\":\"r\"}")).Single(static e => e.GetProperty("type").GetString() == "error").GetProperty("error");
        Assert.Equal(("item_id", "r"), (missing.GetProperty("param").GetString(), missing.GetProperty("event_id").GetString()));
        JsonElement deleted = (await h.Exchange("{\"type\":\"conversation.item.delete\",\"item_id\":\"a\"}")).Single();
        Assert.Equal(("conversation.item.deleted", "a"), (deleted.GetProperty("type").GetString(), deleted.GetProperty("item_id").GetString()));
        JsonElement again = (await h.Exchange("{\"type\":\"conversation.item.delete\",\"item_id\":\"a\"}")).Single();
        Assert.Equal("error", again.GetProperty("type").GetString());
    }

    [Fact]
    public async Task TruncateCutsAudioAndTranscript()
    {
        await using var h = new SessionHarness();
        h.Model.Script = _ => [new Realtime.Engine.Backends.ChatDelta(Realtime.Engine.Backends.ChatDeltaKind.Text, "one two three four.")];
        h.Send("{\"type\":\"response.create\"}");
        JsonElement done = await h.WaitFor("response.done");
        string itemId = done.GetProperty("response").GetProperty("output")[0].GetProperty("id").GetString()!;
        // 4 words x 2400 samples at 24 kHz = 400 ms.
        JsonElement tooLong = (await h.Exchange($"{{\"type\":\"conversation.item.truncate\",\"item_id\":\"{itemId}\",\"content_index\":0,\"audio_end_ms\":900}}")).Single();
        Assert.Equal("audio_end_ms", tooLong.GetProperty("error").GetProperty("param").GetString());
        JsonElement truncated = (await h.Exchange($"{{\"type\":\"conversation.item.truncate\",\"item_id\":\"{itemId}\",\"content_index\":0,\"audio_end_ms\":200}}")).Single();
        Assert.Equal(("conversation.item.truncated", itemId, 0, 200), (truncated.GetProperty("type").GetString(), truncated.GetProperty("item_id").GetString(), truncated.GetProperty("content_index").GetInt32(), truncated.GetProperty("audio_end_ms").GetInt32()));
        JsonElement part = (await h.Exchange($"{{\"type\":\"conversation.item.retrieve\",\"item_id\":\"{itemId}\"}}")).Single(static e => e.GetProperty("type").GetString() == "conversation.item.retrieved").GetProperty("item").GetProperty("content")[0];
        Assert.Equal(200 * 48, part.GetProperty("audio").GetBytesFromBase64().Length);
        Assert.Equal("one two", part.GetProperty("transcript").GetString());
        JsonElement unknown = (await h.Exchange("{\"type\":\"conversation.item.truncate\",\"item_id\":\"nope\",\"content_index\":0,\"audio_end_ms\":0}")).Single();
        Assert.Equal("item_truncate_invalid_item_id", unknown.GetProperty("error").GetProperty("code").GetString());
    }
}
