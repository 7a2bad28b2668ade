using System.Text.Json;
using Realtime.Engine.Tests.Backends;

namespace Realtime.EndToEnd.Tests.Faults.Matrix;

/// <summary>
/// OpenAI-compatible HTTP backends, every stage (chat, transcription, speech): each 4xx/5xx class, a 200 whose body
/// is an HTML page, and a chat stream that ends without [DONE]. The response ends `failed` naming the stage, the
/// `error` event names the failure (`backend_http_503`, `backend_invalid_response`, `backend_stream_truncated`), the
/// session goes on. Retried once, before anything reached the client: 408, 429, 502, 503, 504.
/// </summary>
[Collection(FaultMatrixCollection.Name)]
public sealed class HttpStatusMatrixTests(FaultMatrixFixture fixture) : IDisposable
{
    private static readonly int[] Statuses = [400, 401, 403, 404, 408, 409, 422, 429, 500, 502, 503, 504];

    private static readonly int[] Retried = [408, 429, 502, 503, 504];

    private static readonly Stage[] Stages = [Stage.Llm, Stage.SttUnary, Stage.TtsStream];

    public static TheoryData<Stage, int> StatusRows()
    {
        var rows = new TheoryData<Stage, int>();
        foreach (Stage stage in Stages)
        {
            foreach (int status in Statuses)
            {
                rows.Add(stage, status);
            }
        }

        return rows;
    }

    public static TheoryData<Stage> StageRows() => new(Stages);

    [Theory]
    [MemberData(nameof(StatusRows))]
    public async Task StatusFailsTheResponseNamingStageAndStatusAndTheSessionGoesOn(Stage stage, int status)
    {
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, "http", stage);
        fixture.Http.Fault = new HttpFault(Path(stage), HttpFaultKind.Status, status);

        JsonElement done = await MatrixTurns.RunAsync(client, stage);

        MatrixTurns.AssertFailed(client, done, stage, $"backend_http_{status}");
        MatrixTurns.AssertEndedBeforeTheDeadline(client);
        Assert.Contains("injected failure", Turns.Error(done).Message, StringComparison.Ordinal);
        Assert.Equal(Retried.Contains(status) ? 2 : 1, fixture.Http.FaultedCalls);
        fixture.Http.Fault = null;
        await AssertGoesOnAsync(client, stage);
    }

    [Theory]
    [MemberData(nameof(StageRows))]
    public async Task BodyThatIsNotJsonOrAudioFailsTheResponse(Stage stage)
    {
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, "http", stage);
        fixture.Http.Fault = new HttpFault(Path(stage), HttpFaultKind.NotJson);

        JsonElement done = await MatrixTurns.RunAsync(client, stage);

        MatrixTurns.AssertFailed(client, done, stage, "backend_invalid_response");
        Assert.Equal(1, fixture.Http.FaultedCalls);
        Assert.Equal(0, Turns.AudioSamples(client, done));
        fixture.Http.Fault = null;
        await AssertGoesOnAsync(client, stage);
    }

    [Theory]
    [MemberData(nameof(StageRows))]
    public async Task BackendThatNeverAnswersEndsTheResponseAtTheCallDeadline(Stage stage)
    {
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, "http", stage);
        fixture.Http.Fault = new HttpFault(Path(stage), HttpFaultKind.Hang);

        JsonElement done = await MatrixTurns.RunAsync(client, stage);

        MatrixTurns.AssertFailed(client, done, stage, "backend_deadline_exceeded");
        MatrixTurns.AssertEndedAtTheDeadline(client);
        Assert.Equal(1, fixture.Http.FaultedCalls);
        fixture.Http.Fault = null;
        await AssertGoesOnAsync(client, stage);
    }

    [Fact]
    public async Task ChatStreamEndingWithoutDoneFailsTheResponseKeepingWhatWasSaid()
    {
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, "http", Stage.Llm);
        fixture.Http.Fault = new HttpFault("chat/completions", HttpFaultKind.SseWithoutDone);

        JsonElement done = await MatrixTurns.RunAsync(client, Stage.Llm);

        MatrixTurns.AssertFailed(client, done, Stage.Llm, "backend_stream_truncated");
        Assert.Equal("Hello", Turns.Text(client, done));
        Assert.Equal(1, fixture.Http.FaultedCalls);
        fixture.Http.Fault = null;
        await AssertGoesOnAsync(client, Stage.Llm);
    }

    [Fact]
    public async Task RetriedStatusOnceIsInvisibleToTheClient()
    {
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, "http", Stage.Llm);
        fixture.Http.Fault = new HttpFault("chat/completions", HttpFaultKind.Status, 503, Times: 1);

        JsonElement done = await MatrixTurns.RunAsync(client, Stage.Llm);

        Assert.True(Turns.Status(done) == "completed", done.GetRawText());
        Assert.Equal("Hello from http.", Turns.Text(client, done));
        Assert.Empty(client.OfType("error"));
        Assert.Equal(2, fixture.Http.FaultedCalls);
    }

    internal static string Path(Stage stage) => stage switch
    {
        Stage.Llm => "chat/completions",
        Stage.SttUnary => "audio/transcriptions",
        _ => "audio/speech",
    };

    /// <summary>As <see cref="MatrixTurns.AssertGoesOnAsync"/>, with the HTTP fake's answers.</summary>
    internal static async Task AssertGoesOnAsync(RealtimeSocket client, Stage stage)
    {
        Assert.False(client.Completion.IsCompleted, "the backend failure closed the session");
        int errors = client.OfType("error").Count();
        JsonElement next = await MatrixTurns.RunAsync(client, stage);
        Assert.True(Turns.Status(next) == "completed", next.GetRawText());
        Assert.Equal(errors, client.OfType("error").Count());
        if (MatrixTurns.IsTts(stage))
        {
            Assert.Equal(3 * 2400, Turns.AudioSamples(client, next));
        }
        else
        {
            Assert.Equal("Hello from http.", Turns.Text(client, next));
        }
    }

    public void Dispose() => fixture.ClearFaults();
}
