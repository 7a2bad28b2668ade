using System.Text.Json;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>
/// Fault 1: the backend process dies mid-stream (its host stops and aborts every connection). The running response
/// fails naming the stage, the session stays open, and once a backend is back on the same port the next turn works.
/// </summary>
public sealed class BackendKilledTests
{
    [Fact]
    public async Task KilledWhileStreamingLlmTokensFailsTheResponseAndTheSessionRecovers()
    {
        await using FaultServer server = await FaultServer.StartAsync();
        await using RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync(Turns.TextOnly);
        await client.WaitFor("session.updated");
        await client.SendAsync(Turns.UserText("[stall] say hello and then hang"));
        await client.SendAsync("""{"type":"response.create"}""");
        await client.WaitFor("response.output_text.delta");

        await server.Backend.KillAsync();

        JsonElement failed = await client.WaitFor("response.done");
        Assert.Equal("failed", Turns.Status(failed));
        Assert.Equal("llm_failed", Turns.Error(failed).Code);
        Assert.Equal("Hello", Turns.Text(client, failed));
        await AssertRecoversAsync(server, client, text: true);
    }

    [Fact]
    public async Task KilledWhileStreamingTtsAudioFailsTheResponseAndTheSessionRecovers()
    {
        await using FaultServer server = await FaultServer.StartAsync();
        await using RealtimeSocket client = await server.ConnectAsync();

        // The fake LLM says the words back at once; its TTS then speaks them 100 ms a chunk, 200 ms apart.
        await client.SendAsync(Turns.UserText("[echo] [slow:200] one two three four five six seven eight nine ten"));
        await client.SendAsync("""{"type":"response.create"}""");
        await client.WaitFor("response.output_audio.delta");

        await server.Backend.KillAsync();

        JsonElement failed = await client.WaitFor("response.done");
        Assert.Equal("failed", Turns.Status(failed));
        Assert.Equal("tts_failed", Turns.Error(failed).Code);
        // Less audio than the ten words (2400 samples each at 24 kHz) reached the client.
        Assert.InRange(Turns.AudioSamples(client, failed), 1, 9 * 2400);
        await AssertRecoversAsync(server, client, text: false);
    }

    /// <summary>The session is still open; with the backend back on its port a turn completes; no session is left behind.</summary>
    private static async Task AssertRecoversAsync(FaultServer server, RealtimeSocket client, bool text)
    {
        Assert.False(client.Completion.IsCompleted, "the backend failure closed the client's session");
        Assert.Equal(1, server.OpenSessions);
        await server.RestartBackendAsync();

        JsonElement next = await Turns.RunAsync(client, "are you back");
        Assert.True(Turns.Status(next) == "completed", next.GetRawText());
        Assert.Equal("Hello from fake.", Turns.Text(client, next));
        if (!text)
        {
            Assert.Equal(3 * 2400, Turns.AudioSamples(client, next));
        }

        await client.DisposeAsync();
        await server.AssertRecoveredAsync();
    }
}
