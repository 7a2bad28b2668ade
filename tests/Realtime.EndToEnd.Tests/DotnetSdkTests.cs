using System.Net.WebSockets;
using System.Text.Json;
using OpenAI.Realtime;

#pragma warning disable OPENAI002 // The SDK marks its realtime client experimental; pinning it against the server is the point here.

namespace Realtime.EndToEnd.Tests;

/// <summary>
/// The official OpenAI .NET SDK (OpenAI.Realtime, GA dialect), unchanged, against the real server with the built-in
/// echo model: text, tool and audio turns and the benign error cases, asserting what SDK users read off the updates.
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class DotnetSdkTests(ServerFixture server)
{
    private const string WeatherTool = "get_weather";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task TextTurnFollowsTheGaEventOrder()
    {
        await using SdkConversation conversation = await SdkConversation.StartAsync(server, Ct);
        RealtimeServerUpdateSessionCreated created = await conversation.ExpectAsync<RealtimeServerUpdateSessionCreated>();
        Assert.IsType<RealtimeConversationSession>(created.Session);

        await conversation.Session.ConfigureConversationSessionAsync(TextSession(), Ct);
        RealtimeServerUpdateSessionUpdated updated = await conversation.ExpectAsync<RealtimeServerUpdateSessionUpdated>();
        RealtimeConversationSession session = Assert.IsType<RealtimeConversationSession>(updated.Session);
        Assert.Equal([RealtimeOutputModality.Text], session.OutputModalities);

        const string userText = "Please repeat after me purple elephants dance";
        await conversation.Session.AddItemAsync(RealtimeItem.CreateUserMessageItem(userText), Ct);
        await conversation.Session.StartResponseAsync(Ct);
        List<RealtimeServerUpdate> updates = await conversation.CollectUntilAsync<RealtimeServerUpdateResponseDone>();

        Assert.Equal(
            [
                "conversation.item.added", "conversation.item.done",
                "response.created", "response.output_item.added", "conversation.item.added", "response.content_part.added",
                "response.output_text.delta", "response.output_text.done", "response.content_part.done",
                "conversation.item.done", "response.output_item.done", "response.done",
            ],
            SdkConversation.CollapsedKinds(updates));

        // The user item comes back as sent.
        var userItem = Assert.IsType<RealtimeMessageItem>(updates.OfType<RealtimeServerUpdateConversationItemDone>().First().Item);
        Assert.Equal(RealtimeMessageRole.User, userItem.Role);
        Assert.Equal(userText, Assert.IsType<RealtimeInputTextMessageContentPart>(Assert.Single(userItem.Content)).Text);

        string responseId = updates.OfType<RealtimeServerUpdateResponseCreated>().Single().Response.Id;
        Assert.StartsWith("resp_", responseId, StringComparison.Ordinal);
        List<RealtimeServerUpdateResponseOutputTextDelta> deltas = [.. updates.OfType<RealtimeServerUpdateResponseOutputTextDelta>()];
        RealtimeServerUpdateResponseOutputTextDone textDone = updates.OfType<RealtimeServerUpdateResponseOutputTextDone>().Single();
        string streamed = string.Concat(deltas.Select(d => d.Delta));
        Assert.Equal(textDone.Text, streamed);
        Assert.Equal("You said: " + userText, textDone.Text);
        Assert.All(deltas, d => Assert.Equal((responseId, textDone.ItemId, 0, 0), (d.ResponseId, d.ItemId, d.OutputIndex, d.ContentIndex)));
        Assert.Equal(textDone.Text, updates.OfType<RealtimeServerUpdateResponseContentPartDone>().Single().Part.Text);

        RealtimeResponse response = updates.OfType<RealtimeServerUpdateResponseDone>().Single().Response;
        Assert.Equal(responseId, response.Id);
        Assert.Equal(RealtimeResponseStatus.Completed, response.Status);
        var assistant = Assert.IsType<RealtimeMessageItem>(Assert.Single(response.OutputItems));
        Assert.Equal((textDone.ItemId, RealtimeMessageRole.Assistant, RealtimeMessageStatus.Completed), (assistant.Id, assistant.Role, assistant.Status));
        Assert.Equal(textDone.Text, Assert.IsType<RealtimeOutputTextMessageContentPart>(Assert.Single(assistant.Content)).Text);
        Assert.NotNull(response.Usage);
        Assert.True(response.Usage.OutputTokenCount > 0, "usage.output_tokens");
        Assert.Equal(response.Usage.InputTokenCount + response.Usage.OutputTokenCount, response.Usage.TotalTokenCount);

        AssertUniqueEventIds(conversation);
    }

    [Fact]
    public async Task ToolCallRoundTrip()
    {
        await using SdkConversation conversation = await SdkConversation.StartAsync(server, Ct);
        await conversation.ExpectAsync<RealtimeServerUpdateSessionCreated>();
        RealtimeConversationSessionOptions options = TextSession();
        options.Tools.Add(new RealtimeFunctionTool(WeatherTool)
        {
            FunctionDescription = "Current weather for a city.",
            FunctionParameters = BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}"""),
        });
        await conversation.Session.ConfigureConversationSessionAsync(options, Ct);
        RealtimeServerUpdateSessionUpdated updated = await conversation.ExpectAsync<RealtimeServerUpdateSessionUpdated>();
        var tool = Assert.IsType<RealtimeFunctionTool>(Assert.Single(Assert.IsType<RealtimeConversationSession>(updated.Session).Tools));
        Assert.Equal(WeatherTool, tool.FunctionName);

        await conversation.Session.AddItemAsync(RealtimeItem.CreateUserMessageItem("What is the weather in Paris?"), Ct);
        await conversation.Session.StartResponseAsync(Ct);
        List<RealtimeServerUpdate> callTurn = await conversation.CollectUntilAsync<RealtimeServerUpdateResponseDone>();

        Assert.Equal(
            [
                "conversation.item.added", "conversation.item.done",
                "response.created", "response.output_item.added", "conversation.item.added",
                "response.function_call_arguments.delta", "response.function_call_arguments.done",
                "conversation.item.done", "response.output_item.done", "response.done",
            ],
            SdkConversation.CollapsedKinds(callTurn));

        RealtimeServerUpdateResponseOutputItemDone itemDone = callTurn.OfType<RealtimeServerUpdateResponseOutputItemDone>().Single();
        var call = Assert.IsType<RealtimeFunctionCallItem>(itemDone.Item);
        Assert.Equal(RealtimeFunctionCallStatus.Completed, call.Status);
        Assert.Equal(WeatherTool, call.FunctionName);
        Assert.StartsWith("call_", call.CallId, StringComparison.Ordinal);
        using (var arguments = JsonDocument.Parse(call.FunctionArguments))
        {
            Assert.Equal("Paris", arguments.RootElement.GetProperty("city").GetString());
        }

        // The streamed arguments, the arguments.done event and the final item agree.
        RealtimeServerUpdateResponseFunctionCallArgumentsDone argumentsDone = callTurn.OfType<RealtimeServerUpdateResponseFunctionCallArgumentsDone>().Single();
        string streamedArguments = string.Concat(callTurn.OfType<RealtimeServerUpdateResponseFunctionCallArgumentsDelta>().Select(d => d.Delta.ToString()));
        Assert.Equal(call.FunctionArguments.ToString(), streamedArguments);
        Assert.Equal(call.FunctionArguments.ToString(), argumentsDone.FunctionArguments.ToString());
        Assert.Equal((call.CallId, call.Id, WeatherTool), (argumentsDone.CallId, argumentsDone.ItemId, argumentsDone.FunctionName));

        RealtimeResponse callResponse = callTurn.OfType<RealtimeServerUpdateResponseDone>().Single().Response;
        Assert.Equal(RealtimeResponseStatus.Completed, callResponse.Status);
        Assert.Equal(call.CallId, Assert.IsType<RealtimeFunctionCallItem>(Assert.Single(callResponse.OutputItems)).CallId);

        const string toolOutput = """{"temperature_c":18,"sky":"cloudy"}""";
        await conversation.Session.AddItemAsync(RealtimeItem.CreateFunctionCallOutputItem(call.CallId, toolOutput), Ct);
        await conversation.Session.StartResponseAsync(Ct);
        List<RealtimeServerUpdate> answerTurn = await conversation.CollectUntilAsync<RealtimeServerUpdateResponseDone>();

        var outputItem = Assert.IsType<RealtimeFunctionCallOutputItem>(answerTurn.OfType<RealtimeServerUpdateConversationItemDone>().First().Item);
        Assert.Equal((call.CallId, toolOutput), (outputItem.CallId, outputItem.FunctionOutput));
        RealtimeResponse answer = answerTurn.OfType<RealtimeServerUpdateResponseDone>().Single().Response;
        Assert.Equal(RealtimeResponseStatus.Completed, answer.Status);
        string text = answerTurn.OfType<RealtimeServerUpdateResponseOutputTextDone>().Single().Text;
        Assert.Equal("The tool returned: " + toolOutput, text);
        Assert.Equal(text, Assert.IsType<RealtimeOutputTextMessageContentPart>(Assert.Single(Assert.IsType<RealtimeMessageItem>(Assert.Single(answer.OutputItems)).Content)).Text);

        AssertUniqueEventIds(conversation);
    }

    [Fact]
    public async Task AudioTurnStreamsPcmAndTranscript()
    {
        await using SdkConversation conversation = await SdkConversation.StartAsync(server, Ct);
        RealtimeServerUpdateSessionCreated created = await conversation.ExpectAsync<RealtimeServerUpdateSessionCreated>();
        var session = Assert.IsType<RealtimeConversationSession>(created.Session);
        Assert.Equal([RealtimeOutputModality.Audio], session.OutputModalities);
        Assert.Equal(24000, Assert.IsType<RealtimePcmAudioFormat>(session.AudioOptions.OutputAudioOptions.AudioFormat).Rate);

        const string userText = "Tell me something about the ocean";
        await conversation.Session.AddItemAsync(RealtimeItem.CreateUserMessageItem(userText), Ct);
        await conversation.Session.StartResponseAsync(Ct);
        List<RealtimeServerUpdate> updates = await conversation.CollectUntilAsync<RealtimeServerUpdateResponseDone>();

        // Audio and transcript deltas interleave, and clients must not depend on which of the two `done` events
        // comes first (spec §5.2); everything else is ordered.
        string[] kinds = SdkConversation.CollapsedKinds(updates.Where(u => u is not (RealtimeServerUpdateResponseOutputAudioDelta or RealtimeServerUpdateResponseOutputAudioTranscriptDelta)));
        Assert.True(kinds.Length == 12, "Unexpected updates: " + string.Join(", ", kinds));
        Assert.Equal(
            [
                "conversation.item.added", "conversation.item.done",
                "response.created", "response.output_item.added", "conversation.item.added", "response.content_part.added",
            ],
            kinds[..6]);
        Assert.Equivalent(new[] { "response.output_audio.done", "response.output_audio_transcript.done" }, kinds[6..8], strict: true);
        Assert.Equal(["response.content_part.done", "conversation.item.done", "response.output_item.done", "response.done"], kinds[8..]);
        int firstDelta = updates.FindIndex(u => u is RealtimeServerUpdateResponseOutputAudioDelta or RealtimeServerUpdateResponseOutputAudioTranscriptDelta);
        int lastDelta = updates.FindLastIndex(u => u is RealtimeServerUpdateResponseOutputAudioDelta or RealtimeServerUpdateResponseOutputAudioTranscriptDelta);
        Assert.True(firstDelta > updates.FindIndex(u => u is RealtimeServerUpdateResponseContentPartAdded), "deltas before content_part.added");
        Assert.True(lastDelta < updates.FindIndex(u => u is RealtimeServerUpdateResponseOutputAudioDone or RealtimeServerUpdateResponseOutputAudioTranscriptDone), "deltas after a done event");

        List<RealtimeServerUpdateResponseOutputAudioDelta> audio = [.. updates.OfType<RealtimeServerUpdateResponseOutputAudioDelta>()];
        Assert.NotEmpty(audio);
        long pcmBytes = audio.Sum(a => (long)a.Delta.ToMemory().Length);
        Assert.True(pcmBytes % 2 == 0, $"PCM16 byte count {pcmBytes} is odd");
        Assert.All(audio, a => Assert.True(a.Delta.ToMemory().Length % 2 == 0, "a delta splits a PCM16 sample"));
        Assert.True(pcmBytes > 0.3 * 24000 * 2, $"only {pcmBytes} bytes of audio ({pcmBytes / 48.0:F0} ms at 24 kHz)");
        // The SDK's decoded bytes are exactly the base64 the server sent.
        long wireBytes = conversation.RawFramesOfType("response.output_audio.delta").Sum(f => (long)Convert.FromBase64String(f.GetProperty("delta").GetString()!).Length);
        Assert.Equal(wireBytes, pcmBytes);
        Assert.True(AnySampleNonZero(audio), "the audio is all silence");

        RealtimeServerUpdateResponseOutputAudioTranscriptDone transcriptDone = updates.OfType<RealtimeServerUpdateResponseOutputAudioTranscriptDone>().Single();
        string streamed = string.Concat(updates.OfType<RealtimeServerUpdateResponseOutputAudioTranscriptDelta>().Select(d => d.Delta));
        Assert.Equal(transcriptDone.Transcript, streamed);
        Assert.Contains(userText, transcriptDone.Transcript, StringComparison.Ordinal);
        Assert.All(audio, a => Assert.Equal((transcriptDone.ItemId, 0, 0), (a.ItemId, a.OutputIndex, a.ContentIndex)));

        RealtimeServerUpdateResponseContentPartDone partDone = updates.OfType<RealtimeServerUpdateResponseContentPartDone>().Single();
        Assert.Equal(RealtimeResponseContentPartKind.Audio, partDone.Part.Kind);
        Assert.Equal(transcriptDone.Transcript, partDone.Part.Transcript);

        RealtimeResponse response = updates.OfType<RealtimeServerUpdateResponseDone>().Single().Response;
        Assert.Equal(RealtimeResponseStatus.Completed, response.Status);
        var assistant = Assert.IsType<RealtimeMessageItem>(Assert.Single(response.OutputItems));
        Assert.Equal(transcriptDone.Transcript, Assert.IsType<RealtimeOutputAudioMessageContentPart>(Assert.Single(assistant.Content)).Transcript);

        AssertUniqueEventIds(conversation);
    }

    [Fact]
    public async Task BenignErrorsKeepTheSessionWorking()
    {
        // Default (audio) output: synthesis keeps the first response active long enough for the second
        // response.create to land while it runs; the echo model alone finishes a short text answer in microseconds.
        await using SdkConversation conversation = await SdkConversation.StartAsync(server, Ct);
        await conversation.ExpectAsync<RealtimeServerUpdateSessionCreated>();

        // Cancel with nothing running, through the SDK's own method and through a command carrying an event id.
        await conversation.Session.CancelResponseAsync(Ct);
        AssertError(await conversation.ExpectAsync<RealtimeServerUpdateError>(), "invalid_request_error", "response_cancel_not_active", clientEventId: null);
        await conversation.Session.SendCommandAsync(new RealtimeClientCommandResponseCancel { EventId = "evt_cancel_nothing" }, Ct);
        AssertError(await conversation.ExpectAsync<RealtimeServerUpdateError>(), "invalid_request_error", "response_cancel_not_active", "evt_cancel_nothing");

        // Two response.create back to back: the second lands while the first is active.
        const string firstQuestion = "first question, long enough that speaking the answer takes a little while to synthesize";
        await conversation.Session.AddItemAsync(RealtimeItem.CreateUserMessageItem(firstQuestion), Ct);
        await conversation.Session.SendCommandAsync(new RealtimeClientCommandResponseCreate(), Ct);
        await conversation.Session.SendCommandAsync(new RealtimeClientCommandResponseCreate { EventId = "evt_second_create" }, Ct);
        List<RealtimeServerUpdate> turn = await conversation.CollectUntilAsync<RealtimeServerUpdateResponseDone>();
        string activeId = turn.OfType<RealtimeServerUpdateResponseCreated>().Single().Response.Id;
        RealtimeServerUpdateError rejected = turn.OfType<RealtimeServerUpdateError>().Single();
        AssertError(rejected, "invalid_request_error", "conversation_already_has_active_response", "evt_second_create");
        Assert.Contains(activeId, rejected.Error.Message, StringComparison.Ordinal);
        RealtimeResponse first = turn.OfType<RealtimeServerUpdateResponseDone>().Single().Response;
        Assert.Equal((activeId, RealtimeResponseStatus.Completed), (first.Id, first.Status));
        Assert.Equal("You said: " + firstQuestion, turn.OfType<RealtimeServerUpdateResponseOutputAudioTranscriptDone>().Single().Transcript);

        // Malformed frames through the SDK's raw send and the SDK's own socket: errors, not a close.
        await conversation.Session.SendCommandAsync(BinaryData.FromString("{\"type\":\"response.create\""), options: null);
        AssertError(await NextErrorAsync(conversation), "invalid_request_error", "invalid_json", clientEventId: null);
        await conversation.Session.SendCommandAsync(BinaryData.FromString("""{"type":"response.bogus"}"""), options: null);
        RealtimeServerUpdateError unknownType = await NextErrorAsync(conversation);
        AssertError(unknownType, "invalid_request_error", "invalid_value", clientEventId: null);
        Assert.Equal("type", unknownType.Error.ParameterName);
        await conversation.Session.WebSocket.SendAsync(new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary, endOfMessage: true, Ct);
        AssertError(await NextErrorAsync(conversation), "invalid_request_error", "invalid_event", clientEventId: null);

        // The session still answers, and the conversation kept the earlier turn.
        await conversation.Session.AddItemAsync(RealtimeItem.CreateUserMessageItem("second question"), Ct);
        await conversation.Session.StartResponseAsync(Ct);
        List<RealtimeServerUpdate> after = await conversation.CollectUntilAsync<RealtimeServerUpdateResponseDone>();
        Assert.DoesNotContain(after, u => u is RealtimeServerUpdateError);
        Assert.Equal(RealtimeResponseStatus.Completed, after.OfType<RealtimeServerUpdateResponseDone>().Single().Response.Status);
        Assert.Equal("You said: second question", after.OfType<RealtimeServerUpdateResponseOutputAudioTranscriptDone>().Single().Transcript);
        Assert.Equal(WebSocketState.Open, conversation.Session.WebSocket.State);

        AssertUniqueEventIds(conversation);
    }

    private static RealtimeConversationSessionOptions TextSession()
    {
        var options = new RealtimeConversationSessionOptions();
        options.OutputModalities.Add(RealtimeOutputModality.Text);
        return options;
    }

    /// <summary>The next update that is not the `rate_limits.updated` trailing the previous response; it must be an error.</summary>
    private static async Task<RealtimeServerUpdateError> NextErrorAsync(SdkConversation conversation)
    {
        RealtimeServerUpdate update = await conversation.NextAsync();
        while (update is RealtimeServerUpdateRateLimitsUpdated)
        {
            update = await conversation.NextAsync();
        }

        return update as RealtimeServerUpdateError ?? throw new Xunit.Sdk.XunitException($"Expected an error, got {update.Kind}. Received:\n{conversation.Dump()}");
    }

    private static void AssertError(RealtimeServerUpdateError update, string type, string code, string? clientEventId)
    {
        Assert.StartsWith("event_", update.EventId, StringComparison.Ordinal);
        Assert.Equal((type, code, clientEventId), (update.Error.Kind, update.Error.Code, update.Error.EventId));
        Assert.False(string.IsNullOrWhiteSpace(update.Error.Message));
    }

    private static void AssertUniqueEventIds(SdkConversation conversation)
    {
        List<string?> ids = conversation.RawEventIds();
        Assert.NotEmpty(ids);
        Assert.All(ids, id => Assert.Matches("^event_[A-Za-z0-9]+$", id));
        Assert.Equal(ids.Count, ids.Distinct(StringComparer.Ordinal).Count());
    }

    private static bool AnySampleNonZero(List<RealtimeServerUpdateResponseOutputAudioDelta> audio)
    {
        foreach (RealtimeServerUpdateResponseOutputAudioDelta chunk in audio)
        {
            ReadOnlySpan<byte> bytes = chunk.Delta.ToMemory().Span;
            for (int i = 0; i + 1 < bytes.Length; i += 2)
            {
                if (bytes[i] != 0 || bytes[i + 1] != 0)
                {
                    return true;
                }
            }
        }

        return false;
    }
}
