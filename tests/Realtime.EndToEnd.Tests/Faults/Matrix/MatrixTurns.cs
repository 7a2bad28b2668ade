using System.Runtime.CompilerServices;
using System.Text.Json;
using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests.Faults.Matrix;

/// <summary>The stages a backend serves, as the fault matrix names them (gRPC: stream and unary RPCs apart).</summary>
public enum Stage { Llm, SttStream, SttUnary, TtsStream, TtsUnary, Vad }

[CollectionDefinition(Name)]
public sealed class FaultMatrixCollection : ICollectionFixture<FaultMatrixFixture>
{
    public const string Name = "fault-matrix";
}

/// <summary>One turn per stage, driven so that the stage under test is the one that meets the fault.</summary>
internal static class MatrixTurns
{
    public const string EventId = "evt_fault_matrix";

    private const string SttSession =
        """{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"transcription":{"model":"whisper-1"},"turn_detection":null}}}}""";

    private const string CreateResponse = $$"""{"type":"response.create","event_id":"{{EventId}}"}""";

    private static readonly byte[] Speech = Fixture.Pcm24k("weather_question.wav");

    /// <summary>The gRPC method each stage calls.</summary>
    public static string Method(Stage stage) => stage switch
    {
        Stage.Llm => "PredictStream",
        Stage.SttStream => "AudioTranscriptionStream",
        Stage.SttUnary => "AudioTranscription",
        Stage.TtsStream => "TTSStream",
        Stage.TtsUnary => "TTS",
        _ => "VAD",
    };

    /// <summary>The profile of <see cref="FaultMatrixFixture"/> that serves the stage.</summary>
    public static string Profile(Stage stage) => stage switch
    {
        Stage.SttUnary or Stage.TtsUnary => "unary",
        Stage.Vad => "vad",
        _ => "stream",
    };

    /// <summary>`status_details.error.code` of a response failed in the stage.</summary>
    public static string FailedCode(Stage stage) => stage switch
    {
        Stage.Llm => "llm_failed",
        Stage.SttStream or Stage.SttUnary => "transcription_failed",
        _ => "tts_failed",
    };

    public static bool IsStt(Stage stage) => stage is Stage.SttStream or Stage.SttUnary;

    public static bool IsTts(Stage stage) => stage is Stage.TtsStream or Stage.TtsUnary;

    /// <summary>Opens a session shaped for the stage: text output unless TTS is tested, manual commits when STT is.</summary>
    public static async Task<RealtimeSocket> OpenAsync(FaultMatrixFixture fixture, string profile, Stage stage)
    {
        RealtimeSocket client = await fixture.ConnectAsync(profile);
        if (!IsTts(stage))
        {
            await client.SendAsync(IsStt(stage) ? SttSession : Turns.TextOnly);
            await client.WaitFor("session.updated");
        }

        return client;
    }

    /// <summary>
    /// One turn whose backend work goes through the stage: a text question (LLM), an echoed text to speak (TTS), or
    /// committed audio the response must wait the transcript of (STT). Returns the response.done (hang guard 15 s).
    /// </summary>
    public static async Task<JsonElement> RunAsync(RealtimeSocket client, Stage stage)
    {
        int before = client.OfType("response.done").Count();
        if (IsStt(stage))
        {
            await client.AppendAudioAsync(Speech.AsMemory(0, 600 * AudioFormat.Pcm16.BytesPerMillisecond()), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
            await client.SendAsync("""{"type":"input_audio_buffer.commit"}""");
        }
        else
        {
            await client.SendAsync(Turns.UserText(IsTts(stage) ? "[echo] one two three" : "hello"));
        }

        long asked = System.Diagnostics.Stopwatch.GetTimestamp();
        await client.SendAsync(CreateResponse);
        JsonElement done = await client.WaitFor("response.done", before + 1, 15_000);
        LastTurns.AddOrUpdate(client, new StrongBox<TimeSpan>(System.Diagnostics.Stopwatch.GetElapsedTime(asked)));
        return done;
    }

    /// <summary>How long each client's last <see cref="RunAsync"/> took from response.create to response.done.</summary>
    private static readonly ConditionalWeakTable<RealtimeSocket, StrongBox<TimeSpan>> LastTurns = new();

    private static TimeSpan LastTurn(RealtimeSocket client) => LastTurns.TryGetValue(client, out StrongBox<TimeSpan>? took) ? took.Value : TimeSpan.Zero;

    /// <summary>
    /// A backend that said no ended the response at once: before the call deadline could have (so the failure was
    /// seen, not waited out). The deadline is a hang guard, not a speed bound: a row that passes takes milliseconds.
    /// </summary>
    public static void AssertEndedBeforeTheDeadline(RealtimeSocket client) =>
        Assert.True(LastTurn(client) < TimeSpan.FromSeconds(FaultMatrixFixture.CallTimeoutSeconds), $"the failure took {LastTurn(client).TotalMilliseconds:0} ms, as long as the {FaultMatrixFixture.CallTimeoutSeconds} s call deadline");

    /// <summary>A backend that never answered: the response ended at the call deadline, not before and not much after.</summary>
    public static void AssertEndedAtTheDeadline(RealtimeSocket client)
    {
        TimeSpan took = LastTurn(client);
        TimeSpan deadline = TimeSpan.FromSeconds(FaultMatrixFixture.CallTimeoutSeconds);
        Assert.True(took >= deadline - TimeSpan.FromMilliseconds(200), $"ended after {took.TotalMilliseconds:0} ms, before the {deadline.TotalSeconds} s deadline");
        // The 15 s guard of RunAsync would pass a response that hung on long after its deadline; this one must not.
        Assert.True(took < deadline * 2, $"ended after {took.TotalMilliseconds:0} ms, long after the {deadline.TotalSeconds} s deadline");
    }

    /// <summary>The `error` event sent for the response's failure (the last one so far).</summary>
    public static JsonElement LastError(RealtimeSocket client)
    {
        JsonElement error = client.OfType("error").Last().GetProperty("error");
        Assert.Equal("server_error", error.GetProperty("type").GetString());
        return error;
    }

    /// <summary>A failed response: the stage named in status_details, the backend failure in the error event (echoing the event id).</summary>
    public static void AssertFailed(RealtimeSocket client, JsonElement done, Stage stage, string backendCode)
    {
        Assert.True(Turns.Status(done) == "failed", done.GetRawText());
        (string? code, string? message) = Turns.Error(done);
        Assert.Equal(FailedCode(stage), code);
        Assert.Contains(backendCode, message, StringComparison.Ordinal);
        JsonElement error = LastError(client);
        // One error for the one failure, sent before the response.done that reports it.
        Assert.Single(client.OfType("error"));
        List<string> types = [.. client.Types()];
        Assert.True(types.LastIndexOf("error") < types.LastIndexOf("response.done"), string.Join(", ", types));
        Assert.Equal(backendCode, error.GetProperty("code").GetString());
        Assert.Equal(EventId, error.GetProperty("event_id").GetString());
        if (IsStt(stage))
        {
            JsonElement failed = client.OfType("conversation.item.input_audio_transcription.failed").Last();
            Assert.Equal("transcription_failed", failed.GetProperty("error").GetProperty("code").GetString());
        }
    }

    /// <summary>The session is open and, with the backend answering again, the same turn completes.</summary>
    public static async Task AssertGoesOnAsync(RealtimeSocket client, Stage stage)
    {
        Assert.False(client.Completion.IsCompleted, "the backend failure closed the session");
        int errors = client.OfType("error").Count();
        JsonElement next = await RunAsync(client, stage);
        Assert.True(Turns.Status(next) == "completed", next.GetRawText());
        Assert.Equal(errors, client.OfType("error").Count());
        if (IsTts(stage))
        {
            Assert.Equal(3 * 2400, Turns.AudioSamples(client, next));
        }
        else
        {
            Assert.Equal("Hello from fake.", Turns.Text(client, next));
        }
    }
}
