using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Sessions;
using Realtime.Engine.Tests.Fixtures;
using Realtime.Engine.Tests.TurnDetection;

namespace Realtime.Engine.Tests.Sessions;

/// <summary>Conversation limits on what server VAD commits and answers (the real Silero detector).</summary>
public sealed class VadConversationLimitTests(SileroDetectorFixture fixture) : IClassFixture<SileroDetectorFixture>
{
    [Fact]
    public async Task TurnThatFillsTheConversationIsCommittedButNotAnsweredAndFurtherAudioIsRefused()
    {
        await using var h = new SessionHarness(vad: fixture.Detector, options: new RealtimeSessionOptions { MaxConversationItems = 1 });
        h.Model.Script = _ => [new ChatDelta(ChatDeltaKind.Text, "Sunny.")];
        h.StreamAudio(AudioFixtures.ReadWav("weather_question.wav").Pcm, 48);
        h.StreamAudio(new byte[48 * 1000], 48);
        JsonElement error = (await h.WaitFor("error")).GetProperty("error");
        Assert.Equal(("invalid_request_error", "conversation_item_limit_exceeded"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        List<string> types = h.Output.Types();
        int stopped = types.IndexOf("input_audio_buffer.speech_stopped");
        // The turn itself fits (the last slot); the automatic answer would not, so VAD says why there is none.
        Assert.Equal(["input_audio_buffer.speech_stopped", "input_audio_buffer.committed", "conversation.item.added", "conversation.item.done", "error"], types.Skip(stopped).Take(5).ToList());
        Assert.DoesNotContain("response.created", types);
        Assert.Equal(JsonValueKind.Null, error.GetProperty("event_id").ValueKind);

        // Every streamed append handled (their refusals are not the delete's answer), then free the slot.
        await h.SettleAsync();
        // The silence after the turn is refused append by append (nothing more could be committed); counted once every
        // append has been handled, not when the first refusal arrives.
        types = h.Output.Types();
        Assert.True(types.Count(t => t == "error") > 10, string.Join(", ", types));
        string itemId = (await h.WaitFor("input_audio_buffer.committed")).GetProperty("item_id").GetString()!;
        Assert.Equal("conversation.item.deleted", Assert.Single(await h.Exchange($"{{\"type\":\"conversation.item.delete\",\"item_id\":\"{itemId}\"}}")).GetProperty("type").GetString());
        Assert.Empty(await h.Exchange("{\"type\":\"input_audio_buffer.append\",\"audio\":\"" + Convert.ToBase64String(new byte[4800]) + "\"}"));
    }
}
