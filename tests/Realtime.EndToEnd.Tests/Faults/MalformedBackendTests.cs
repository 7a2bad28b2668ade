using System.Text.Json;
using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// Fault 3: a backend answering with malformed data. Each case has one defined outcome, and none closes the session:
/// after each, the same session completes a normal turn, the server ends with no session left, and a new session works.
/// <list type="bullet">
/// <item>LLM bytes that are not UTF-8: decoded with U+FFFD for each bad sequence (a cut-off one at the end too); the response completes.</item>
/// <item>A tool call whose arguments are not JSON: passed through verbatim in the function_call item (as the hosted API passes the model's text); the client decides.</item>
/// <item>TTS with an odd byte count: the trailing half sample is dropped; empty audio chunks are skipped. Both complete with exactly the audio sent.</item>
/// <item>TTS announcing an unusable sample rate (not a number, 0, negative, 1 Hz, 1 GHz): the response fails with tts_failed naming the rate.</item>
/// <item>STT returning empty text: transcription completed with transcript "", and the turn still gets its answer.</item>
/// </list>
/// </summary>
public sealed class MalformedBackendTests
{
    private const string WeatherTool =
        """{"type":"function","name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}""";

    [Fact]
    public async Task InvalidUtf8FromTheLlmBecomesReplacementCharacters()
    {
        await using FaultServer server = await FaultServer.StartAsync();
        await using RealtimeSocket client = await TextSessionAsync(server);

        JsonElement done = await Turns.RunAsync(client, "[badutf8] garble");

        Assert.Equal("completed", Turns.Status(done));
        Assert.Equal("bad \uFFFD( \uFFFD end\uFFFD", Turns.Text(client, done));
        await AssertSessionGoesOnAsync(server, client);
    }

    [Fact]
    public async Task ToolCallWithBrokenJsonArgumentsIsPassedThroughVerbatim()
    {
        await using FaultServer server = await FaultServer.StartAsync();
        await using RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync($$$"""{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"tools":[{{{WeatherTool}}}]}}""");
        await client.WaitFor("session.updated");

        JsonElement done = await Turns.RunAsync(client, "[badtool:get_weather] in Paris");

        Assert.Equal("completed", Turns.Status(done));
        JsonElement item = Assert.Single(done.GetProperty("response").GetProperty("output").EnumerateArray());
        Assert.Equal(("function_call", "get_weather", "call_bad_1", "{\"city\": \"Par"),
            (item.GetProperty("type").GetString(), item.GetProperty("name").GetString(), item.GetProperty("call_id").GetString(), item.GetProperty("arguments").GetString()));
        JsonElement argumentsDone = client.OfType("response.function_call_arguments.done").Single();
        Assert.Equal("{\"city\": \"Par", argumentsDone.GetProperty("arguments").GetString());
        await AssertSessionGoesOnAsync(server, client);
    }

    [Theory]
    [InlineData("[oddtotal]")]
    [InlineData("[emptychunks]")]
    [InlineData("[oddsplit]")]
    public async Task TtsWithOddBytesOrEmptyChunksSpeaksExactlyTheWholeSamples(string fault)
    {
        await using FaultServer server = await FaultServer.StartAsync();
        await using RealtimeSocket client = await server.ConnectAsync();

        JsonElement done = await Turns.RunAsync(client, $"[echo] {fault} one two three");

        Assert.Equal("completed", Turns.Status(done));
        // Three words of 100 ms at 24 kHz (the fake's rate, so no resampling): 7200 samples; a half sample is not one.
        Assert.Equal(3 * 2400, Turns.AudioSamples(client, done));
        await AssertSessionGoesOnAsync(server, client);
    }

    [Theory]
    [InlineData("\"fast\"")]
    [InlineData("0")]
    [InlineData("-16000")]
    [InlineData("1")]
    [InlineData("1000000000")]
    public async Task TtsAnnouncingAnUnusableSampleRateFailsTheResponse(string rate)
    {
        await using FaultServer server = await FaultServer.StartAsync();
        await using RealtimeSocket client = await server.ConnectAsync();

        JsonElement done = await Turns.RunAsync(client, $"[echo] [rate:{rate}] one two three");

        Assert.True(Turns.Status(done) == "failed", done.GetRawText());
        (string? code, string? message) = Turns.Error(done);
        Assert.Equal("tts_failed", code);
        Assert.Contains("{\"sample_rate\":" + rate + "}", message, StringComparison.Ordinal);
        Assert.Equal(0, Turns.AudioSamples(client, done));
        JsonElement error = Assert.Single(client.OfType("error")).GetProperty("error");
        // A text message that is no rate at all is the backend's error text (LocalAI's way); a number out of range is a bad answer.
        string expected = rate.StartsWith('"') ? "backend_error" : "backend_invalid_response";
        Assert.Equal(("server_error", expected), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        await AssertSessionGoesOnAsync(server, client);
    }

    [Fact]
    public async Task EmptyTranscriptIsCompletedAsEmptyAndTheTurnIsAnswered()
    {
        await using FaultServer server = await FaultServer.StartAsync();
        await using RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync("""{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"transcription":{"model":"whisper-1","prompt":"[empty]"},"turn_detection":null}}}}""");
        await client.WaitFor("session.updated");
        await client.AppendAudioAsync(Fixture.Pcm24k("weather_question.wav"), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
        await client.SendAsync("""{"type":"input_audio_buffer.commit"}""");
        JsonElement committed = await client.WaitFor("input_audio_buffer.committed");
        await client.SendAsync("""{"type":"response.create"}""");

        JsonElement transcript = await client.WaitFor("conversation.item.input_audio_transcription.completed");
        JsonElement done = await client.WaitFor("response.done");

        Assert.Equal(committed.GetProperty("item_id").GetString(), transcript.GetProperty("item_id").GetString());
        Assert.Equal("", transcript.GetProperty("transcript").GetString());
        Assert.Equal("completed", Turns.Status(done));
        Assert.Empty(client.OfType("conversation.item.input_audio_transcription.failed"));
        await AssertSessionGoesOnAsync(server, client);
    }

    private static async Task<RealtimeSocket> TextSessionAsync(FaultServer server)
    {
        RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync(Turns.TextOnly);
        await client.WaitFor("session.updated");
        return client;
    }

    private static async Task AssertSessionGoesOnAsync(FaultServer server, RealtimeSocket client)
    {
        Assert.False(client.Completion.IsCompleted, "the malformed answer closed the client's session");
        // Only a response that failed said so (its error event); the answers that are repaired raise none.
        int errors = client.OfType("response.done").Count(d => Turns.Status(d) == "failed");
        Assert.Equal(errors, client.OfType("error").Count());
        JsonElement next = await Turns.RunAsync(client, "now something normal");
        Assert.True(Turns.Status(next) == "completed", next.GetRawText());
        Assert.Contains("Hello from fake.", Turns.Text(client, next), StringComparison.Ordinal);
        await client.DisposeAsync();
        await server.AssertRecoveredAsync();
    }
}
