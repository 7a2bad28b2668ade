using System.Text.Json;

namespace Realtime.EndToEnd.Tests.Operations;

/// <summary>The per-session limits of `Realtime:Limits` reach the sessions of the real server.</summary>
public sealed class ConversationLimitServerTests
{
    [Fact]
    public async Task ConfiguredItemAndAppendLimitsAnswerWithErrorsAndTheSessionGoesOn()
    {
        await using OpsServer server = await OpsServer.StartAsync(
            "--Realtime:Limits:MaxConversationItems=1",
            "--Realtime:Limits:MaxAppendBytes=4800",
            "--Realtime:Limits:MaxBufferedAudioBytes=9600");
        await using RealtimeSocket client = await server.ConnectAsync();
        const string Item = "{\"type\":\"conversation.item.create\",\"event_id\":\"EID\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"hello\"}]}}";
        await client.SendAsync(Item.Replace("EID", "c1", StringComparison.Ordinal));
        await client.WaitFor("conversation.item.done");
        await client.SendAsync(Item.Replace("EID", "c2", StringComparison.Ordinal));
        JsonElement full = (await client.WaitFor("error")).GetProperty("error");
        Assert.Equal(("invalid_request_error", "conversation_item_limit_exceeded", "c2"),
            (full.GetProperty("type").GetString(), full.GetProperty("code").GetString(), full.GetProperty("event_id").GetString()));

        // 200 ms of audio in one append is over the configured 4800 bytes per append.
        await client.SendAsync("{\"type\":\"input_audio_buffer.append\",\"event_id\":\"a1\",\"audio\":\"" + Convert.ToBase64String(new byte[9600]) + "\"}");
        JsonElement tooBig = (await client.WaitFor("error", 2)).GetProperty("error");
        Assert.Equal("a1", tooBig.GetProperty("event_id").GetString());
        Assert.Contains("4800 bytes per append", tooBig.GetProperty("message").GetString(), StringComparison.Ordinal);

        // The session still serves: the item can be read back.
        string id = client.OfType("conversation.item.done").Single().GetProperty("item").GetProperty("id").GetString()!;
        await client.SendAsync($"{{\"type\":\"conversation.item.retrieve\",\"item_id\":\"{id}\"}}");
        Assert.Equal("hello", (await client.WaitFor("conversation.item.retrieved")).GetProperty("item").GetProperty("content")[0].GetProperty("text").GetString());
    }
}
