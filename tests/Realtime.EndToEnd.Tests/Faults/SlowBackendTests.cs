using System.Text.Json;
using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// Fault 2: a backend slower than the call deadline (`Realtime:Backends:CallTimeoutSeconds`, 4 s here; the fake
/// would take 10 s). The call ends with gRPC DEADLINE_EXCEEDED: the response fails naming the stage (or the
/// transcription fails), the backend sees its call cancelled, and the session goes on.
/// </summary>
public sealed class SlowBackendTests
{
    private static readonly string[] Deadline = ["--Realtime:Backends:CallTimeoutSeconds=4"];

    [Fact]
    public async Task LlmPastTheDeadlineFailsTheResponseWithATimeout()
    {
        await using FaultServer server = await FaultServer.StartAsync(Deadline);
        await using RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync(Turns.TextOnly);
        await client.WaitFor("session.updated");

        JsonElement failed = await Turns.RunAsync(client, "[slow:10000] take your time");

        Assert.Equal("failed", Turns.Status(failed));
        (string? code, string? message) = Turns.Error(failed);
        Assert.Equal("llm_failed", code);
        Assert.Contains("DeadlineExceeded", message, StringComparison.Ordinal);
        await AssertCancelledAndGoesOnAsync(server, client);
    }

    [Fact]
    public async Task TtsPastTheDeadlineFailsTheResponseWithATimeout()
    {
        await using FaultServer server = await FaultServer.StartAsync(Deadline);
        await using RealtimeSocket client = await server.ConnectAsync();

        // The LLM answers at once; the TTS would wait 10 s before its first chunk.
        JsonElement failed = await Turns.RunAsync(client, "[echo] [slow:10000] one two three");

        Assert.Equal("failed", Turns.Status(failed));
        (string? code, string? message) = Turns.Error(failed);
        Assert.Equal("tts_failed", code);
        Assert.Contains("DeadlineExceeded", message, StringComparison.Ordinal);
        Assert.Equal(0, Turns.AudioSamples(client, failed));
        await AssertCancelledAndGoesOnAsync(server, client);
    }

    [Fact]
    public async Task TranscriptionPastTheDeadlineFailsTheTranscriptAndTheTurnStillGetsAnAnswer()
    {
        await using FaultServer server = await FaultServer.StartAsync(Deadline);
        await using RealtimeSocket client = await server.ConnectAsync();
        // The transcription prompt reaches the fake STT, which reads its delay from it.
        await client.SendAsync("""{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"transcription":{"model":"whisper-1","prompt":"[slow:10000]"},"turn_detection":null}}}}""");
        await client.WaitFor("session.updated");
        await client.AppendAudioAsync(Fixture.Pcm24k("weather_question.wav"), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
        await client.SendAsync("""{"type":"input_audio_buffer.commit"}""");
        JsonElement committed = await client.WaitFor("input_audio_buffer.committed");

        JsonElement failed = await client.WaitFor("conversation.item.input_audio_transcription.failed");

        Assert.Equal(committed.GetProperty("item_id").GetString(), failed.GetProperty("item_id").GetString());
        JsonElement error = failed.GetProperty("error");
        Assert.Equal(("server_error", "transcription_failed"), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Contains("DeadlineExceeded", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(client.OfType("conversation.item.input_audio_transcription.completed"));
        await AssertCancelledAndGoesOnAsync(server, client);
    }

    private static async Task AssertCancelledAndGoesOnAsync(FaultServer server, RealtimeSocket client)
    {
        Assert.True(await Turns.EventuallyAsync(() => server.Fake.Cancelled), "the backend never saw its call cancelled at the deadline");
        Assert.False(client.Completion.IsCompleted, "the timeout closed the client's session");
        JsonElement next = await Turns.RunAsync(client, "quick one");
        Assert.True(Turns.Status(next) == "completed", next.GetRawText());
        Assert.Equal("Hello from fake.", Turns.Text(client, next));
        await client.DisposeAsync();
        await server.AssertRecoveredAsync();
    }
}
