using System.Text.Json;
using Realtime.Engine.Sessions;

namespace Realtime.Engine.Tests.Sessions;

/// <summary>`MaxConversationItems` / `MaxConversationBytes`: what is refused, with which error, and that the session goes on.</summary>
public sealed class ConversationLimitTests
{
    private const string Append100Ms = "{\"type\":\"input_audio_buffer.append\",\"event_id\":\"ap\",\"audio\":\"";

    private static string UserText(string id, string text) =>
        $"{{\"type\":\"conversation.item.create\",\"event_id\":\"c-{id}\",\"item\":{{\"id\":\"{id}\",\"type\":\"message\",\"role\":\"user\",\"content\":[{{\"type\":\"input_text\",\"text\":\"{text}\"}}]}}}}";

    /// <summary>100 ms of PCM16 24 kHz silence (4800 bytes) as an append.</summary>
    private static string Append() => Append100Ms + Convert.ToBase64String(new byte[4800]) + "\"}";

    private static (string Type, string Code, string EventId) ErrorOf(List<JsonElement> events)
    {
        JsonElement error = Assert.Single(events).GetProperty("error");
        return (error.GetProperty("type").GetString()!, error.GetProperty("code").GetString()!, error.GetProperty("event_id").GetString()!);
    }

    [Fact]
    public async Task ItemLimitRefusesCreateResponseAndAudioUntilAnItemIsDeleted()
    {
        await using var h = new SessionHarness(options: new RealtimeSessionOptions { MaxConversationItems = 2 });
        await h.Exchange(UserText("a", "one"));
        await h.Exchange(UserText("b", "two"));
        Assert.Equal(("invalid_request_error", "conversation_item_limit_exceeded", "c-c"), ErrorOf(await h.Exchange(UserText("c", "three"))));
        Assert.Equal(("invalid_request_error", "conversation_item_limit_exceeded", "r1"), ErrorOf(await h.Exchange("{\"type\":\"response.create\",\"event_id\":\"r1\"}")));
        Assert.Equal(("invalid_request_error", "conversation_item_limit_exceeded", "ap"), ErrorOf(await h.Exchange(Append())));

        List<JsonElement> deleted = await h.Exchange("{\"type\":\"conversation.item.delete\",\"item_id\":\"a\"}");
        Assert.Equal("conversation.item.deleted", Assert.Single(deleted).GetProperty("type").GetString());
        List<JsonElement> added = await h.Exchange(UserText("c", "three"));
        Assert.Equal(["conversation.item.added", "conversation.item.done"], added.Select(e => e.GetProperty("type").GetString()));
    }

    [Fact]
    public async Task SizeLimitCountsTextAndBufferedAudioAndFreesOnDelete()
    {
        await using var h = new SessionHarness(options: new RealtimeSessionOptions { MaxConversationBytes = 5000 });
        string sixty = new('x', 60);
        await h.Exchange(UserText("a", sixty));
        // 60 characters held + 4800 bytes of buffered audio is 4860: taken; a second append would make 9660.
        h.Send(Append());
        h.Send(Append());
        h.Send("{\"type\":\"conversation.item.create\",\"event_id\":\"c-b\",\"item\":{\"id\":\"b\",\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"" + new string('y', 4941) + "\"}]}}");
        await h.WaitFor("error", 2);
        List<JsonElement> errors = h.Output.Events.Where(e => e.GetProperty("type").GetString() == "error").ToList();
        Assert.Equal(("invalid_request_error", "conversation_size_exceeded", "ap"), ErrorOf([errors[0]]));
        Assert.Equal(("invalid_request_error", "conversation_size_exceeded", "c-b"), ErrorOf([errors[1]]));
        Assert.Contains("5000", errors[1].GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);

        Assert.Equal(2, h.Output.Types().Count(t => t == "error"));
        h.Send("{\"type\":\"conversation.item.delete\",\"item_id\":\"a\"}");
        await h.WaitFor("conversation.item.deleted");
        List<JsonElement> added = await h.Exchange(UserText("b", new string('y', 4941)));
        Assert.Equal("conversation.item.added", added[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task CommitOnAFullConversationIsRefusedAndTheBufferKept()
    {
        await using var h = new SessionHarness(options: new RealtimeSessionOptions { MaxConversationItems = 1 });
        Assert.Empty(await h.Exchange(Append()));
        h.Send(Append());
        h.Send(UserText("a", "fills the conversation"));
        await h.WaitFor("conversation.item.done");
        h.Send("{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"k1\"}");
        JsonElement error = (await h.WaitFor("error")).GetProperty("error");
        Assert.Equal(("conversation_item_limit_exceeded", "k1"), (error.GetProperty("code").GetString(), error.GetProperty("event_id").GetString()));

        h.Send("{\"type\":\"conversation.item.delete\",\"item_id\":\"a\"}");
        await h.WaitFor("conversation.item.deleted");
        h.Send("{\"type\":\"input_audio_buffer.commit\",\"event_id\":\"k2\"}");
        JsonElement committed = await h.WaitFor("input_audio_buffer.committed");
        JsonElement item = (await h.WaitFor("conversation.item.done", 2)).GetProperty("item");
        Assert.Equal(committed.GetProperty("item_id").GetString(), item.GetProperty("id").GetString());
        Assert.Equal("input_audio", item.GetProperty("content")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task ResponseWhoseAudioOverflowsFailsWithTheLimitAndTheSessionGoesOn()
    {
        // "Hello world." is two words of fake speech, 9600 bytes: more than the whole budget.
        await using var h = new SessionHarness(options: new RealtimeSessionOptions { MaxConversationBytes = 5000 });
        await h.Exchange(UserText("a", "hi"));
        h.Send("{\"type\":\"response.create\"}");
        JsonElement response = (await h.WaitFor("response.done")).GetProperty("response");
        Assert.Equal("failed", response.GetProperty("status").GetString());
        JsonElement error = response.GetProperty("status_details").GetProperty("error");
        Assert.Equal(("invalid_request_error", "conversation_size_exceeded"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Equal("incomplete", response.GetProperty("output")[0].GetProperty("status").GetString());

        // Nothing more fits; deleting the answer makes room again.
        Assert.Equal(("invalid_request_error", "conversation_size_exceeded", "r2"), ErrorOf(await h.Exchange("{\"type\":\"response.create\",\"event_id\":\"r2\"}")));
        string answer = response.GetProperty("output")[0].GetProperty("id").GetString()!;
        Assert.Equal("conversation.item.deleted", Assert.Single(await h.Exchange($"{{\"type\":\"conversation.item.delete\",\"item_id\":\"{answer}\"}}")).GetProperty("type").GetString());
        h.Send("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"]}}");
        JsonElement second = (await h.WaitFor("response.done", 2)).GetProperty("response");
        Assert.Equal("completed", second.GetProperty("status").GetString());
    }
}
