using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Wire.Events;

namespace Realtime.Engine.Tests.Sessions;

public sealed class ResponseFlowTests
{
    private static List<string> TypesFrom(SessionHarness h, string responseId)
    {
        var types = new List<string>();
        bool inside = false;
        foreach (JsonElement e in h.Output.Events)
        {
            string type = e.GetProperty("type").GetString()!;
            if (type == "response.created" && e.GetProperty("response").GetProperty("id").GetString() == responseId)
            {
                inside = true;
            }

            if (inside)
            {
                types.Add(type);
            }

            if (type == "rate_limits.updated" && inside)
            {
                break;
            }
        }

        return types;
    }

    [Fact]
    public async Task SessionCreatedIsFirstWithGaDefaults()
    {
        await using var h = new SessionHarness();
        JsonElement created = await h.WaitFor("session.created");
        Assert.Equal("session.created", h.Output.Types()[0]);
        JsonElement s = created.GetProperty("session");
        Assert.Equal("realtime", s.GetProperty("type").GetString());
        Assert.Equal("realtime.session", s.GetProperty("object").GetString());
        Assert.StartsWith("sess_", s.GetProperty("id").GetString());
        Assert.Equal("{\"type\":\"audio/pcm\",\"rate\":24000}", s.GetProperty("audio").GetProperty("input").GetProperty("format").GetRawText());
        Assert.Equal("[\"audio\"]", s.GetProperty("output_modalities").GetRawText());
        JsonElement td = s.GetProperty("audio").GetProperty("input").GetProperty("turn_detection");
        Assert.Equal(("server_vad", 0.5, 300, true, true), (td.GetProperty("type").GetString(), td.GetProperty("threshold").GetDouble(), td.GetProperty("prefix_padding_ms").GetInt32(), td.GetProperty("create_response").GetBoolean(), td.GetProperty("interrupt_response").GetBoolean()));
        Assert.Equal(JsonValueKind.Null, s.GetProperty("audio").GetProperty("input").GetProperty("transcription").ValueKind);
        Assert.Equal("inf", s.GetProperty("max_output_tokens").GetString());
        Assert.Equal("auto", s.GetProperty("tool_choice").GetString());
        Assert.True(s.GetProperty("expires_at").GetInt64() > DateTimeOffset.UtcNow.ToUnixTimeSeconds());
    }

    [Fact]
    public async Task TextTurnHasExactOrder()
    {
        await using var h = new SessionHarness();
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"output_modalities\":[\"text\"]}}");
        h.Send("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"Hi\"}]}}");
        h.Send("{\"type\":\"response.create\"}");
        JsonElement done = await h.WaitFor("rate_limits.updated");
        string id = (await h.WaitFor("response.created")).GetProperty("response").GetProperty("id").GetString()!;
        Assert.Equal(
            ["response.created", "response.output_item.added", "conversation.item.added", "response.content_part.added",
             "response.output_text.delta", "response.output_text.delta", "response.output_text.done", "response.content_part.done",
             "conversation.item.done", "response.output_item.done", "response.done", "rate_limits.updated"],
            TypesFrom(h, id));
        JsonElement response = (await h.WaitFor("response.done")).GetProperty("response");
        Assert.Equal("completed", response.GetProperty("status").GetString());
        JsonElement item = response.GetProperty("output")[0];
        Assert.Equal("output_text", item.GetProperty("content")[0].GetProperty("type").GetString());
        Assert.Equal("Hello world.", item.GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("Hello world.", (await h.WaitFor("response.output_text.done")).GetProperty("text").GetString());
        JsonElement usage = response.GetProperty("usage");
        Assert.Equal(usage.GetProperty("total_tokens").GetInt32(), usage.GetProperty("input_tokens").GetInt32() + usage.GetProperty("output_tokens").GetInt32());
        Assert.True(usage.GetProperty("output_token_details").GetProperty("text_tokens").GetInt32() > 0);
        Assert.Equal(ChatRole.User, h.Model.LastRequest!.Messages[^1].Role);
        Assert.Equal("Hi", h.Model.LastRequest.Messages[^1].Content);
        var ids = h.Output.Events.Select(e => e.GetProperty("event_id").GetString()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, i => Assert.Matches("^event_[A-Za-z0-9]{21}$", i));
    }

    [Fact]
    public async Task AudioTurnStreamsAudioAndTranscript()
    {
        await using var h = new SessionHarness();
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("rate_limits.updated");
        List<string> types = h.Output.Types();
        Assert.DoesNotContain("response.output_text.delta", types);
        Assert.Contains("response.output_audio.delta", types);
        int audioDone = types.IndexOf("response.output_audio.done");
        Assert.True(audioDone > types.LastIndexOf("response.output_audio.delta"));
        Assert.Equal(audioDone + 1, types.IndexOf("response.output_audio_transcript.done"));
        Assert.Equal(["response.content_part.done", "conversation.item.done", "response.output_item.done", "response.done", "rate_limits.updated"], types.Skip(audioDone + 2).ToList());
        byte[] audio = h.Output.Events.Where(e => e.GetProperty("type").GetString() == "response.output_audio.delta")
            .SelectMany(e => e.GetProperty("delta").GetBytesFromBase64()).ToArray();
        Assert.Equal(2 * FakeSynthesizer.SamplesPerWord * 2, audio.Length);
        Assert.All(h.Output.Events.Where(e => e.GetProperty("type").GetString() == "response.output_audio.delta"), e => Assert.True(e.GetProperty("delta").GetBytesFromBase64().Length <= 4800));
        JsonElement transcriptDone = await h.WaitFor("response.output_audio_transcript.done");
        Assert.Equal("Hello world.", transcriptDone.GetProperty("transcript").GetString());
        JsonElement part = (await h.WaitFor("response.done")).GetProperty("response").GetProperty("output")[0].GetProperty("content")[0];
        Assert.Equal("output_audio", part.GetProperty("type").GetString());
        Assert.False(part.TryGetProperty("audio", out _));
    }

    [Fact]
    public async Task FunctionCallRoundTrip()
    {
        await using var h = new SessionHarness();
        h.Model.Script = r => r.Messages.Any(m => m.Role == ChatRole.Tool)
            ? [new ChatDelta(ChatDeltaKind.Text, "It is " + r.Messages.Last(m => m.Role == ChatRole.Tool).Content)]
            : [new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: 0, ToolName: "get_weather", ArgumentsDelta: "{\"city\":"), new ChatDelta(ChatDeltaKind.ToolCall, ToolIndex: 0, ArgumentsDelta: "\"Paris\"}")];
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"output_modalities\":[\"text\"],\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"}}]}}");
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("rate_limits.updated");
        string id = (await h.WaitFor("response.created")).GetProperty("response").GetProperty("id").GetString()!;
        Assert.Equal(
            ["response.created", "response.output_item.added", "conversation.item.added", "response.function_call_arguments.delta",
             "response.function_call_arguments.delta", "response.function_call_arguments.done", "conversation.item.done",
             "response.output_item.done", "response.done", "rate_limits.updated"],
            TypesFrom(h, id));
        JsonElement item = (await h.WaitFor("response.output_item.done")).GetProperty("item");
        Assert.Equal(("function_call", "completed", "get_weather", "{\"city\":\"Paris\"}"), (item.GetProperty("type").GetString(), item.GetProperty("status").GetString(), item.GetProperty("name").GetString(), item.GetProperty("arguments").GetString()));
        string callId = item.GetProperty("call_id").GetString()!;
        Assert.Matches("^call_[A-Za-z0-9]{16}$", callId);
        Assert.Equal("get_weather", h.Model.LastRequest!.Tools[0].Name);

        h.Send($"{{\"type\":\"conversation.item.create\",\"item\":{{\"type\":\"function_call_output\",\"call_id\":\"{callId}\",\"output\":\"sunny\"}}}}");
        h.Send("{\"type\":\"response.create\"}");
        JsonElement second = await h.WaitFor("response.done", 2);
        Assert.Equal("It is sunny", second.GetProperty("response").GetProperty("output")[0].GetProperty("content")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task CancelMidStreamStopsEverything()
    {
        await using var h = new SessionHarness();
        h.Model.DelayPerDelta = TimeSpan.FromMilliseconds(30);
        h.Model.Script = _ => Enumerable.Range(0, 200).Select(i => new ChatDelta(ChatDeltaKind.Text, $"w{i} "));
        h.Send("{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"output_modalities\":[\"text\"]}}");
        h.Send("{\"type\":\"response.create\"}");
        await h.WaitFor("response.output_text.delta", 2);
        h.Send("{\"type\":\"response.create\",\"event_id\":\"second\"}");
        JsonElement error = await h.WaitFor("error");
        Assert.Equal("conversation_already_has_active_response", error.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("second", error.GetProperty("error").GetProperty("event_id").GetString());
        h.Send("{\"type\":\"response.cancel\"}");
        JsonElement done = await h.WaitFor("response.done");
        Assert.Equal("cancelled", done.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("client_cancelled", done.GetProperty("response").GetProperty("status_details").GetProperty("reason").GetString());
        Assert.Equal("incomplete", done.GetProperty("response").GetProperty("output")[0].GetProperty("status").GetString());
        await Task.Delay(150, TestContext.Current.CancellationToken);
        List<string> types = h.Output.Types();
        int doneIndex = types.IndexOf("response.done");
        Assert.DoesNotContain("response.output_text.delta", types.Skip(doneIndex));
        Assert.Equal(["response.output_text.done", "response.content_part.done", "conversation.item.done", "response.output_item.done", "response.done"], types.Skip(doneIndex - 4).Take(5).ToList());
        Assert.True(h.Model.SawCancellation);
        Assert.Single(types, "response.created");
        List<JsonElement> again = await h.Exchange("{\"type\":\"response.cancel\",\"event_id\":\"c2\"}");
        Assert.Equal("response_cancel_not_active", again.Single().GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("Cancellation failed: no active response found", again.Single().GetProperty("error").GetProperty("message").GetString());
    }

    [Fact]
    public async Task OutOfBandResponseWithMetadataAndInput()
    {
        await using var h = new SessionHarness();
        h.Send("{\"type\":\"response.create\",\"response\":{\"conversation\":\"none\",\"output_modalities\":[\"text\"],\"metadata\":{\"topic\":\"x\"},\"input\":[{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"classify\"}]}]}}");
        JsonElement done = await h.WaitFor("response.done");
        JsonElement created = await h.WaitFor("response.created");
        Assert.Equal("{\"topic\":\"x\"}", created.GetProperty("response").GetProperty("metadata").GetRawText());
        Assert.Equal("{\"topic\":\"x\"}", done.GetProperty("response").GetProperty("metadata").GetRawText());
        Assert.Equal(JsonValueKind.Null, done.GetProperty("response").GetProperty("conversation_id").ValueKind);
        Assert.DoesNotContain("conversation.item.added", h.Output.Types());
        Assert.Equal("classify", h.Model.LastRequest!.Messages.Single().Content);
    }

    [Fact]
    public async Task MaxOutputTokensEndsIncomplete()
    {
        await using var h = new SessionHarness();
        h.Model.Script = _ => Enumerable.Range(0, 50).Select(i => new ChatDelta(ChatDeltaKind.Text, "tok "));
        h.Send("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"],\"max_output_tokens\":5}}");
        JsonElement done = await h.WaitFor("response.done");
        Assert.Equal("incomplete", done.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("{\"type\":\"incomplete\",\"reason\":\"max_output_tokens\"}", done.GetProperty("response").GetProperty("status_details").GetRawText());
        Assert.Equal(5, h.Output.Types().Count(t => t == "response.output_text.delta"));
    }

    [Fact]
    public async Task FailingModelFailsResponseAndSessionContinues()
    {
        await using var h = new SessionHarness();
        h.Model.Failure = new InvalidOperationException("boom");
        h.Send("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"]}}");
        JsonElement done = await h.WaitFor("response.done");
        JsonElement details = done.GetProperty("response").GetProperty("status_details");
        Assert.Equal("failed", done.GetProperty("response").GetProperty("status").GetString());
        Assert.Equal("llm_failed", details.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains("boom", details.GetProperty("error").GetProperty("message").GetString());
        // The error event names the backend failure and comes before the response.done that ends the turn.
        List<string> types = [.. h.Output.Types()];
        Assert.InRange(types.IndexOf("error"), 0, types.IndexOf("response.done") - 1);
        h.Model.Failure = null;
        h.Send("{\"type\":\"response.create\",\"response\":{\"output_modalities\":[\"text\"]}}");
        Assert.Equal("completed", (await h.WaitFor("response.done", 2)).GetProperty("response").GetProperty("status").GetString());
    }

    [Fact]
    public async Task FailingSynthesizerFailsTheResponseNamingTts()
    {
        await using var h = new SessionHarness();
        h.Tts.Failure = new InvalidOperationException("no voice");
        h.Send("{\"type\":\"response.create\"}");
        JsonElement response = (await h.WaitFor("response.done")).GetProperty("response");
        Assert.Equal("failed", response.GetProperty("status").GetString());
        Assert.Equal("tts_failed", response.GetProperty("status_details").GetProperty("error").GetProperty("code").GetString());
        Assert.Equal("incomplete", response.GetProperty("output")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task BetaTextTurnUsesBetaSpellings()
    {
        await using var h = new SessionHarness(Dialect.Beta);
        await h.WaitFor("conversation.created");
        Assert.Equal(["session.created", "conversation.created"], h.Output.Types());
        JsonElement s = (await h.WaitFor("session.created")).GetProperty("session");
        Assert.Equal("[\"text\",\"audio\"]", s.GetProperty("modalities").GetRawText());
        Assert.Equal("pcm16", s.GetProperty("input_audio_format").GetString());
        h.Send("{\"type\":\"conversation.item.create\",\"item\":{\"type\":\"message\",\"role\":\"user\",\"content\":[{\"type\":\"input_text\",\"text\":\"Hi\"}]}}");
        h.Send("{\"type\":\"response.create\",\"response\":{\"modalities\":[\"text\"]}}");
        await h.WaitFor("rate_limits.updated");
        string id = (await h.WaitFor("response.created")).GetProperty("response").GetProperty("id").GetString()!;
        Assert.Equal(
            ["response.created", "response.output_item.added", "conversation.item.created", "response.content_part.added",
             "response.text.delta", "response.text.delta", "response.text.done", "response.content_part.done",
             "response.output_item.done", "response.done", "rate_limits.updated"],
            TypesFrom(h, id));
        Assert.Equal("text", (await h.WaitFor("response.done")).GetProperty("response").GetProperty("output")[0].GetProperty("content")[0].GetProperty("type").GetString());
    }

    [Fact]
    public async Task TranscriptionSessionRejectsResponses()
    {
        await using var h = new SessionHarness(Dialect.Ga, transcription: true);
        JsonElement s = (await h.WaitFor("session.created")).GetProperty("session");
        Assert.Equal("transcription", s.GetProperty("type").GetString());
        Assert.False(s.TryGetProperty("output_modalities", out _));
        List<JsonElement> events = await h.Exchange("{\"type\":\"response.create\",\"event_id\":\"r\"}");
        Assert.Equal("error", events.Single().GetProperty("type").GetString());
    }
}
