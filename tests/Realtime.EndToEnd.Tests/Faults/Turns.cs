using System.Text.Json;

namespace Realtime.EndToEnd.Tests.Faults;

/// <summary>Client-side steps of a turn shared by the fault tests.</summary>
internal static class Turns
{
    public const string TextOnly = """{"type":"session.update","session":{"type":"realtime","output_modalities":["text"]}}""";

    public static readonly string[] TextDeltas = ["response.output_text.delta", "response.output_audio_transcript.delta"];

    public static string UserText(string text) =>
        $$$"""{"type":"conversation.item.create","item":{"type":"message","role":"user","content":[{"type":"input_text","text":"{{{JsonEncodedText.Encode(text)}}}"}]}}""";

    /// <summary>Sends a user message and response.create; returns the response.done that follows.</summary>
    public static async Task<JsonElement> RunAsync(RealtimeSocket client, string text, int timeoutMs = 60_000)
    {
        int before = client.OfType("response.done").Count();
        await client.SendAsync(UserText(text));
        await client.SendAsync("""{"type":"response.create"}""");
        return await client.WaitFor("response.done", before + 1, timeoutMs);
    }

    public static string? Status(JsonElement done) => done.GetProperty("response").GetProperty("status").GetString();

    public static (string? Code, string? Message) Error(JsonElement done)
    {
        JsonElement details = done.GetProperty("response").GetProperty("status_details");
        Assert.Equal("failed", details.GetProperty("type").GetString());
        JsonElement error = details.GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        return (error.GetProperty("code").GetString(), error.GetProperty("message").GetString());
    }

    public static string ResponseId(JsonElement done) => done.GetProperty("response").GetProperty("id").GetString()!;

    /// <summary>The text (or audio transcript) deltas of the response <paramref name="done"/> ended.</summary>
    public static string Text(RealtimeSocket client, JsonElement done) =>
        string.Concat(OfResponse(client, done).Where(e => TextDeltas.Contains(e.GetProperty("type").GetString())).Select(e => e.GetProperty("delta").GetString()));

    /// <summary>PCM16 samples of the response's audio deltas.</summary>
    public static int AudioSamples(RealtimeSocket client, JsonElement done) =>
        OfResponse(client, done).Where(e => e.GetProperty("type").GetString() == "response.output_audio.delta")
            .Sum(e => Convert.FromBase64String(e.GetProperty("delta").GetString()!).Length) / 2;

    public static IEnumerable<JsonElement> OfResponse(RealtimeSocket client, JsonElement done) => OfResponse(client.Events, done);

    /// <summary>The events that name the response <paramref name="done"/> ended by its `response_id`, in arrival order.</summary>
    public static IEnumerable<JsonElement> OfResponse(IEnumerable<JsonElement> events, JsonElement done)
    {
        string id = ResponseId(done);
        return events.Where(e => e.TryGetProperty("response_id", out JsonElement r) && r.GetString() == id);
    }

    /// <summary>Polls until <paramref name="condition"/> holds (bounded; no fixed sleep).</summary>
    public static async Task<bool> EventuallyAsync(Func<bool> condition, int timeoutMs = 30_000)
    {
        long deadline = Environment.TickCount64 + timeoutMs;
        while (!condition())
        {
            if (Environment.TickCount64 > deadline)
            {
                return false;
            }

            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        return true;
    }
}
