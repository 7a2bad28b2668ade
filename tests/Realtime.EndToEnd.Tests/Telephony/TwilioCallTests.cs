using System.Net.WebSockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Realtime.EndToEnd.Tests.Operations;

namespace Realtime.EndToEnd.Tests.Telephony;

/// <summary>
/// Phone calls end to end: a fake Twilio speaks Media Streams to the real server (Kestrel, Silero VAD, pocketsphinx,
/// echo LLM or a fake OpenAI LLM, espeak-ng), paced at 20 ms a frame with the shared µ-law recording.
/// </summary>
[Collection(TelephonyCollection.Name)]
public sealed partial class TwilioCallTests(TelephonyServer server)
{
    private static readonly byte[] WeatherQuestion = File.ReadAllBytes(Repo.Audio("weather_question_8k.ulaw"));

    /// <summary>The last 20 ms frame with speech in the recording ends here (RMS over 300; silence follows).</summary>
    private const int SpeechEndMs = 2300;

    private static Dictionary<string, string> Key => new() { ["token"] = TelephonyServer.ApiKey };

    [Fact]
    public async Task TheCallerIsAnsweredThroughTheToolWebhookAndBargeInCutsTheAnswerAtTheHeardMark()
    {
        const string callSid = "CAtool0000000000000000000000000001";
        await using FakeTwilio call = await FakeTwilio.CallAsync(server.StreamUri, Key, callSid, TestContext.Current.CancellationToken);

        // Turn 1: "What is the weather in Paris today?" -> the model calls get_weather -> the webhook's answer is spoken.
        await call.SayAsync(WeatherQuestion);
        await FakeTwilio.WaitUntilAsync(() => CompleteItems(call).Count >= 1 && call.Idle, "the first answer to play to its end");
        JsonElement tool = Assert.Single(server.ToolCalls, c => c.GetProperty("callSid").GetString() == callSid);
        Assert.Equal(TelephonyServer.ToolName, tool.GetProperty("name").GetString());
        Assert.StartsWith("call_", tool.GetProperty("call_id").GetString(), StringComparison.Ordinal);
        Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(tool.GetProperty("arguments").GetString()!).RootElement.ValueKind);

        ItemAudio first = CompleteItems(call)[0];
        // Measured as the caller would: from the last frame carrying speech (2.3 s into the recording) to the first answer frame.
        double latencyMs = call.MsToFirstMediaAfter(call.UtteranceStarts[0] + (long)(SpeechEndMs * System.Diagnostics.Stopwatch.Frequency / 1000));
        TestContext.Current.TestOutputHelper?.WriteLine($"turn 1 (cold): caller end of speech -> first media frame {latencyMs:0} ms");
        Assert.True(latencyMs > 500, $"answered {latencyMs} ms after the end of speech, before VAD's 500 ms of silence could end the turn");
        // Frames of 20 ms (the item's last one may be shorter), as many bytes as the item's last mark says were sent.
        Assert.All(first.Frames.SkipLast(1), f => Assert.Equal(FakeTwilio.FrameBytes, f.Length));
        Assert.InRange(first.Frames[^1].Length, 1, FakeTwilio.FrameBytes);
        Assert.Equal(CallAudio.MarkMs(first.Marks[^1]), first.Audio.Length / 8);
        // "The tool returned: It is sunny and twenty one degrees in Paris." is a few seconds of voiced speech.
        short[] pcm = CallAudio.Decode(first.Audio);
        Assert.InRange(pcm.Length / 8000.0, 2.0, 10.0);
        Assert.True(CallAudio.Rms(pcm) > 1000, $"answer too quiet: rms {CallAudio.Rms(pcm):0}");
        Assert.InRange(CallAudio.MedianPitch(pcm), 70, 300);
        // Marks come back in the order they were sent, each after its audio played; positions rise to the end.
        Assert.Equal(first.Marks, call.Played().Where(m => CallAudio.MarkItem(m) == first.Id));
        Assert.Equal(first.Marks.Select(CallAudio.MarkMs).Order(), first.Marks.Select(CallAudio.MarkMs));
        Assert.Contains(LinesOf(callSid), l => l.Message.Contains("assistant said \"The tool returned: " + TelephonyServer.ToolAnswer, StringComparison.Ordinal));

        // Turn 2 is asked the same way; while its answer plays, the caller speaks again (turn 3).
        await call.SayAsync(WeatherQuestion);
        await FakeTwilio.WaitUntilAsync(() => call.Played().Any(m => CallAudio.MarkItem(m) != first.Id), "the second answer to start playing");
        string second = CallAudio.MarkItem(call.Played().First(m => CallAudio.MarkItem(m) != first.Id));
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"turn 2: caller end of speech -> first media frame {call.MsToFirstMediaAfter(call.UtteranceStarts[1] + (long)(SpeechEndMs * System.Diagnostics.Stopwatch.Frequency / 1000)):0} ms");
        long heardBeforeInterrupting = call.Played().Where(m => CallAudio.MarkItem(m) == second).Max(CallAudio.MarkMs);
        await call.SayAsync(WeatherQuestion);
        await FakeTwilio.WaitUntilAsync(() => call.Snapshot().Any(r => r.Kind == "clear"), "clear on barge-in");

        CapturedLog bargeIn = await WaitForLineAsync(callSid, "barge-in (speech)");
        Match cut = BargeInLine().Match(bargeIn.Message);
        Assert.True(cut.Success, bargeIn.Message);
        Assert.Equal(second, cut.Groups["item"].Value);
        long heard = long.Parse(cut.Groups["heard"].Value, System.Globalization.CultureInfo.InvariantCulture);
        long sent = long.Parse(cut.Groups["sent"].Value, System.Globalization.CultureInfo.InvariantCulture);
        // Truncated where the echoed marks said playback was, never at what was merely sent.
        long[] echoedAtClear = [.. call.PlayedAtFirstClear!.Where(m => CallAudio.MarkItem(m) == second).Select(CallAudio.MarkMs)];
        Assert.Contains(heard, echoedAtClear);
        Assert.InRange(heard, heardBeforeInterrupting, echoedAtClear.Max());
        Assert.True(sent > heard, $"nothing was cut: heard {heard} ms of {sent} ms sent");
        Assert.NotEmpty(call.EchoedOnClear);

        // The interrupted item sends nothing after the clear and is never heard to its end; turn 3 is answered.
        Assert.DoesNotContain(call.Played(), m => CallAudio.MarkItem(m) == second && m.EndsWith(":end", StringComparison.Ordinal));
        Assert.Contains(call.EchoedOnClear, m => CallAudio.MarkItem(m) == second);
        await FakeTwilio.WaitUntilAsync(
            () => call.Played().Any(m => CallAudio.MarkItem(m) is var item && item != first.Id && item != second && m.EndsWith(":end", StringComparison.Ordinal)) && call.Idle,
            "the third answer to play to its end");
        var afterClear = call.Snapshot().SkipWhile(r => r.Kind != "clear").ToList();
        Assert.DoesNotContain(afterClear, r => r.Kind == "mark" && CallAudio.MarkItem(r.Name!) == second);
        // Turns 1 and 2 went through the webhook (turn 3 too when pocketsphinx heard its first word as "what").
        int toolCalls = server.ToolCalls.Count(c => c.GetProperty("callSid").GetString() == callSid);
        Assert.InRange(toolCalls, 2, 3);

        // `stop` ends the call: the server closes the stream normally and the session with it.
        await call.SendStopAsync();
        await call.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, call.CloseStatus);
        Assert.Equal(0, call.ForeignMessages);
        CapturedLog ended = await WaitForLineAsync(callSid, $"Call {callSid} ended (stop: the caller hung up or the call moved on): close 1000");
        Assert.Contains($"3 turns, 1 barge-ins, {toolCalls} tool calls", ended.Message, StringComparison.Ordinal);
        List<CapturedLog> latencies = [.. LinesOf(callSid).Where(l => l.Message.Contains("first answer frame", StringComparison.Ordinal))];
        Assert.Equal(3, latencies.Count);
        foreach (CapturedLog line in LinesOf(callSid))
        {
            Assert.False(string.IsNullOrEmpty(line.Scope.GetValueOrDefault("SessionId")), line.AllText);
        }

        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", latencies.Select(l => l.Message)));
        using var http = new HttpClient();
        string metrics = await http.GetStringAsync(new Uri(server.Http, "/metrics"), TestContext.Current.CancellationToken);
        Assert.Contains("realtime_telephony_barge_ins_total", metrics, StringComparison.Ordinal);
        Assert.Contains("realtime_telephony_first_media_latency_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("realtime_telephony_tool_calls_total{otel_scope_name=\"Realtime.Fast\",result=\"ok\"}", metrics, StringComparison.Ordinal);
    }

    /// <summary>A webhook that fails or never answers: the model gets the tool's error as its output and speaks about it.</summary>
    [Theory]
    [InlineData("CAtoolfail00000000000000000000001", "the tool webhook answered HTTP 500", "error")]
    [InlineData("CAtoolslow00000000000000000000001", "the tool webhook did not answer within 2 s", "timeout")]
    public async Task AFailingToolWebhookBecomesAToolErrorTheModelSpeaksAbout(string callSid, string why, string result)
    {
        await using FakeTwilio call = await FakeTwilio.CallAsync(server.StreamUri, Key, callSid, TestContext.Current.CancellationToken);
        await call.SayAsync(WeatherQuestion);
        await FakeTwilio.WaitUntilAsync(() => CompleteItems(call).Count >= 1 && call.Idle, "the answer to play to its end");

        JsonElement tool = Assert.Single(server.ToolCalls, c => c.GetProperty("callSid").GetString() == callSid);
        Assert.Equal(TelephonyServer.ToolName, tool.GetProperty("name").GetString());
        // The model's input was the error (the echo model reads its tool output back), and it was spoken.
        string error = $"{{\"error\":\"Tool {TelephonyServer.ToolName} failed: {why}.\"}}";
        Assert.Contains(LinesOf(callSid), l => l.Message.Contains("assistant said \"The tool returned: " + error, StringComparison.Ordinal));
        short[] pcm = CallAudio.Decode(CompleteItems(call)[0].Audio);
        Assert.InRange(pcm.Length / 8000.0, 2.0, 15.0);
        Assert.True(CallAudio.Rms(pcm) > 1000, $"answer too quiet: rms {CallAudio.Rms(pcm):0}");
        CapturedLog failed = await WaitForLineAsync(callSid, $"tool {TelephonyServer.ToolName} failed ({result})");
        Assert.Contains(error, failed.Message, StringComparison.Ordinal);

        using var http = new HttpClient();
        string metrics = await http.GetStringAsync(new Uri(server.Http, "/metrics"), TestContext.Current.CancellationToken);
        Assert.Contains($"realtime_telephony_tool_calls_total{{otel_scope_name=\"Realtime.Fast\",result=\"{result}\"}}", metrics, StringComparison.Ordinal);
        await call.SendStopAsync();
        await call.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, call.CloseStatus);
    }

    [Fact]
    public async Task TheCallersWordsReachTheLlmAndItsAnswerIsSpoken()
    {
        const string callSid = "CAplain000000000000000000000000001";
        var parameters = new Dictionary<string, string>(Key) { ["model"] = "phone-http", ["instructions"] = "You answer the phone for a bakery." };
        int before = server.OpenAi.ChatBodies.Count;
        await using FakeTwilio call = await FakeTwilio.CallAsync(server.StreamUri, parameters, callSid, TestContext.Current.CancellationToken);
        await call.SayAsync(WeatherQuestion);
        await FakeTwilio.WaitUntilAsync(() => CompleteItems(call).Count >= 1 && call.Idle, "the answer to play to its end");

        // What the LLM received: the instructions from the stream parameters and the caller's words as heard.
        CapturedLog heard = await WaitForLineAsync(callSid, "caller said");
        string words = heard.Message[(heard.Message.IndexOf('"', StringComparison.Ordinal) + 1)..^1];
        using JsonDocument request = JsonDocument.Parse(server.OpenAi.ChatBodies.Skip(before).First());
        JsonElement messages = request.RootElement.GetProperty("messages");
        Assert.Equal("You answer the phone for a bakery.", messages[0].GetProperty("content").GetString());
        Assert.Equal(words, messages[messages.GetArrayLength() - 1].GetProperty("content").GetString());
        Assert.StartsWith("what", words, StringComparison.OrdinalIgnoreCase);

        // Its answer ("Hello from http.") is spoken in µ-law.
        short[] pcm = CallAudio.Decode(CompleteItems(call)[0].Audio);
        Assert.InRange(pcm.Length / 8000.0, 0.5, 4.0);
        Assert.True(CallAudio.Rms(pcm) > 1000, $"answer too quiet: rms {CallAudio.Rms(pcm):0}");
        double coldMs = call.MsToFirstMediaAfter(call.UtteranceStarts[0] + (long)(SpeechEndMs * System.Diagnostics.Stopwatch.Frequency / 1000));
        Assert.True(coldMs > 500, $"answered {coldMs} ms after the end of speech, before VAD's 500 ms of silence could end the turn");

        // The same question again, now that every engine and connection is warm: the latency the README reports.
        await call.SayAsync(WeatherQuestion);
        await FakeTwilio.WaitUntilAsync(() => CompleteItems(call).Count >= 2 && call.Idle, "the second answer to play to its end");
        double warmMs = call.MsToFirstMediaAfter(call.UtteranceStarts[1] + (long)(SpeechEndMs * System.Diagnostics.Stopwatch.Frequency / 1000));
        Assert.True(warmMs > 500, $"answered {warmMs} ms after the end of speech, before VAD's 500 ms of silence could end the turn");
        TestContext.Current.TestOutputHelper?.WriteLine($"plain turn: caller end of speech -> first media frame {coldMs:0} ms (first turn), {warmMs:0} ms (second)");
    }

    [Fact]
    public async Task DtmfDigitsReachTheModelAsOneTextMessage()
    {
        const string callSid = "CAdtmf0000000000000000000000000001";
        await using FakeTwilio call = await FakeTwilio.CallAsync(server.StreamUri, Key, callSid, TestContext.Current.CancellationToken);
        await WaitForLineAsync(callSid, "started");
        await call.PressAsync('4');
        await call.PressAsync('2');

        // The echo LLM answers with what it received: both digits, batched, in the documented format.
        await FakeTwilio.WaitUntilAsync(() => CompleteItems(call).Count >= 1 && call.Idle, "the answer to the keys to play");
        Assert.Contains(LinesOf(callSid), l => l.Message.Contains("assistant said \"You said: [DTMF 42]\"", StringComparison.Ordinal));
        Assert.True(CompleteItems(call)[0].Audio.Length > 8000, "the answer is not spoken");
    }

    [Fact]
    public async Task EndCallHangsUpOnceTheGoodbyeHasPlayed()
    {
        const string callSid = "CAend00000000000000000000000000001";
        var parameters = new Dictionary<string, string>(Key) { ["model"] = "phone-http" };
        int before = server.OpenAi.ChatBodies.Count;
        await using FakeTwilio call = await FakeTwilio.CallAsync(server.StreamUri, parameters, callSid, TestContext.Current.CancellationToken);
        await WaitForLineAsync(callSid, "started");
        await call.PressAsync('0');
        await call.PressAsync('#');

        await call.Closed.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, call.CloseStatus);
        Assert.Equal("call ended", call.CloseDescription);

        // The LLM got the keys as text and the tools (end_call built in); it called end_call, then said goodbye.
        string[] bodies = [.. server.OpenAi.ChatBodies.Skip(before)];
        Assert.Equal(2, bodies.Length);
        using JsonDocument request = JsonDocument.Parse(bodies[0]);
        JsonElement messages = request.RootElement.GetProperty("messages");
        Assert.Equal("[DTMF 0#]", messages[messages.GetArrayLength() - 1].GetProperty("content").GetString());
        string[] tools = [.. request.RootElement.GetProperty("tools").EnumerateArray().Select(t => t.GetProperty("function").GetProperty("name").GetString()!)];
        Assert.Equal([TelephonyServer.ToolName, "end_call"], tools);

        // The goodbye was played to its last mark before the line closed.
        ItemAudio goodbye = Assert.Single(CompleteItems(call));
        Assert.True(goodbye.Audio.Length > 8000, "the goodbye is not spoken");
        Assert.Equal(goodbye.Marks[^1], call.Played()[^1]);
        Assert.True(call.ClosedAt > call.LastEchoAt, "closed before the goodbye had played");
        Assert.Contains(LinesOf(callSid), l => l.Message.Contains("hanging up (the goodbye has played)", StringComparison.Ordinal));
        await WaitForLineAsync(callSid, $"Call {callSid} ended (the assistant ended the call): close 1000");
    }

    [Fact]
    public async Task AStreamWithoutAValidKeyIsRefused()
    {
        await using (FakeTwilio call = await FakeTwilio.CallAsync(server.StreamUri, new Dictionary<string, string> { ["token"] = "sk-wrong" }, "CAbadkey000000000000000000000000001", TestContext.Current.CancellationToken))
        {
            await call.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal((WebSocketCloseStatus)3000, call.CloseStatus);
            Assert.Equal("unauthorized", call.CloseDescription);
            Assert.Empty(call.Snapshot());
        }

        await using (FakeTwilio call = await FakeTwilio.CallAsync(server.StreamUri, new Dictionary<string, string>(), "CAnokey0000000000000000000000000001", TestContext.Current.CancellationToken))
        {
            await call.Closed.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            Assert.Equal((WebSocketCloseStatus)3000, call.CloseStatus);
        }

        // A key on the URL is checked before the upgrade.
        using var socket = new ClientWebSocket { Options = { CollectHttpResponseDetails = true } };
        await Assert.ThrowsAsync<WebSocketException>(() => socket.ConnectAsync(new Uri(server.StreamUri + "?token=sk-wrong"), TestContext.Current.CancellationToken));
        Assert.Equal(System.Net.HttpStatusCode.Unauthorized, socket.HttpStatusCode);
    }

    private static List<ItemAudio> CompleteItems(FakeTwilio call) =>
        [.. CallAudio.ByItem(call.Snapshot()).Values.Where(i => i.Complete)];

    private List<CapturedLog> LinesOf(string callSid) => server.CallLines(callSid);

    private async Task<CapturedLog> WaitForLineAsync(string callSid, string text)
    {
        CapturedLog? line = null;
        await FakeTwilio.WaitUntilAsync(() => (line = LinesOf(callSid).FirstOrDefault(l => l.Message.Contains(text, StringComparison.Ordinal))) is not null, $"log line '{text}'");
        return line!;
    }

    [GeneratedRegex(@"item (?<item>\S+) truncated at (?<heard>\d+) ms heard of (?<sent>\d+) ms sent")]
    private static partial Regex BargeInLine();
}
