using System.Text.Json;
using Grpc.Core;
using Realtime.Engine.Tests.Backends;
using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests.Faults.Matrix;

/// <summary>
/// Every gRPC status a LocalAI backend can answer, for every stage, through the real server: Health and LoadModel
/// answer OK, the stage's own RPC answers the status. The response ends `failed` naming the stage, an `error`
/// event (server_error) names the backend failure and echoes response.create's event id, the session stays open,
/// and once the backend answers again the same turn completes. Retried once (table in README): UNAVAILABLE,
/// RESOURCE_EXHAUSTED, FAILED_PRECONDITION; every other status fails at once.
/// </summary>
[Collection(FaultMatrixCollection.Name)]
public sealed class GrpcStatusMatrixTests(FaultMatrixFixture fixture) : IDisposable
{
    private static readonly StatusCode[] Statuses =
    [
        StatusCode.Internal, StatusCode.Unknown, StatusCode.ResourceExhausted, StatusCode.Unimplemented,
        StatusCode.InvalidArgument, StatusCode.DeadlineExceeded, StatusCode.Unavailable, StatusCode.FailedPrecondition,
    ];

    /// <summary>The documented retry table: these are tried once more, the rest fail at once.</summary>
    private static readonly StatusCode[] Retried = [StatusCode.Unavailable, StatusCode.ResourceExhausted, StatusCode.FailedPrecondition];

    public static TheoryData<Stage, StatusCode> Rows()
    {
        var rows = new TheoryData<Stage, StatusCode>();
        foreach (Stage stage in new[] { Stage.Llm, Stage.SttStream, Stage.SttUnary, Stage.TtsStream, Stage.TtsUnary })
        {
            foreach (StatusCode status in Statuses)
            {
                // A stream RPC answering UNIMPLEMENTED is a backend without it: the unary fallback (next test).
                if (status != StatusCode.Unimplemented || stage is not (Stage.SttStream or Stage.TtsStream))
                {
                    rows.Add(stage, status);
                }
            }
        }

        return rows;
    }

    public static TheoryData<StatusCode> VadRows() => new(Statuses);

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task StatusFailsTheResponseNamingStageAndStatusAndTheSessionGoesOn(Stage stage, StatusCode status)
    {
        FakeBackend fake = stage is Stage.SttUnary or Stage.TtsUnary ? fixture.Unary.Backend : fixture.Streaming.Backend;
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, MatrixTurns.Profile(stage), stage);
        fake.Fault = new InjectedFault(MatrixTurns.Method(stage), status);

        JsonElement done = await MatrixTurns.RunAsync(client, stage);

        MatrixTurns.AssertFailed(client, done, stage, Code(status));
        MatrixTurns.AssertEndedBeforeTheDeadline(client);
        Assert.Equal(Retried.Contains(status) ? 2 : 1, fake.FaultedCalls);
        if (MatrixTurns.IsTts(stage))
        {
            Assert.Equal(0, Turns.AudioSamples(client, done));
        }

        fake.Fault = null;
        await MatrixTurns.AssertGoesOnAsync(client, stage);
    }

    [Theory]
    [InlineData(StatusCode.Unavailable)]
    [InlineData(StatusCode.ResourceExhausted)]
    [InlineData(StatusCode.FailedPrecondition)]
    public async Task RetriedStatusOnceIsInvisibleToTheClient(StatusCode status)
    {
        FakeBackend fake = fixture.Streaming.Backend;
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, "stream", Stage.Llm);
        fake.Fault = new InjectedFault("PredictStream", status, Times: 1);

        JsonElement done = await MatrixTurns.RunAsync(client, Stage.Llm);

        Assert.True(Turns.Status(done) == "completed", done.GetRawText());
        Assert.Equal("Hello from fake.", Turns.Text(client, done));
        Assert.Empty(client.OfType("error"));
        Assert.Equal(2, fake.FaultedCalls);
    }

    [Theory]
    [InlineData(Stage.SttStream)]
    [InlineData(Stage.TtsStream)]
    public async Task StreamRpcAnsweringUnimplementedFallsBackToTheUnaryRpc(Stage stage)
    {
        FakeBackend fake = fixture.Fallback.Backend;
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, "fallback", stage);
        fake.Fault = new InjectedFault(MatrixTurns.Method(stage), StatusCode.Unimplemented);
        int unaryBefore = UnaryCalls(fake, stage);

        JsonElement done = await MatrixTurns.RunAsync(client, stage);

        Assert.True(Turns.Status(done) == "completed", done.GetRawText());
        Assert.Empty(client.OfType("error"));
        Assert.Equal(1, fake.FaultedCalls);
        Assert.Equal(unaryBefore + 1, UnaryCalls(fake, stage));
    }

    [Theory]
    [MemberData(nameof(VadRows))]
    public async Task VadStatusIsReportedOnceAsAServerErrorAndTheSessionGoesOn(StatusCode status)
    {
        FakeBackend fake = fixture.Streaming.Backend;
        await using RealtimeSocket client = await fixture.ConnectAsync("vad");
        await client.SendAsync(Turns.TextOnly);
        await client.WaitFor("session.updated");
        fake.Fault = new InjectedFault("VAD", status);

        // Speech while every VAD call fails: one error for the whole run of failures (reported with the next
        // append after a failed call), and no turn.
        await AppendUntilAsync(client, Speech(100), () => fake.FaultedCalls >= 3 && client.OfType("error").Any());

        JsonElement error = Assert.Single(client.OfType("error")).GetProperty("error");
        Assert.Equal(("server_error", Code(status)), (error.GetProperty("type").GetString(), error.GetProperty("code").GetString()));
        Assert.Contains("vad backend failed", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.Empty(client.OfType("input_audio_buffer.speech_started"));
        Assert.False(client.Completion.IsCompleted);
    }

    internal static string Code(StatusCode status) => status switch
    {
        StatusCode.Internal => "backend_internal",
        StatusCode.Unknown => "backend_unknown",
        StatusCode.ResourceExhausted => "backend_resource_exhausted",
        StatusCode.Unimplemented => "backend_unimplemented",
        StatusCode.InvalidArgument => "backend_invalid_argument",
        StatusCode.DeadlineExceeded => "backend_deadline_exceeded",
        StatusCode.Unavailable => "backend_unavailable",
        StatusCode.FailedPrecondition => "backend_failed_precondition",
        _ => throw new ArgumentOutOfRangeException(nameof(status)),
    };

    /// <summary>Speech from the middle of weather_question (voiced throughout 0.5–2 s).</summary>
    internal static ReadOnlyMemory<byte> Speech(int ms) => Fixture.Pcm24k("weather_question.wav").AsMemory(500 * AudioFormat.Pcm16.BytesPerMillisecond(), ms * AudioFormat.Pcm16.BytesPerMillisecond());

    internal static ReadOnlyMemory<byte> Silence(int ms) => new byte[ms * AudioFormat.Pcm16.BytesPerMillisecond()];

    /// <summary>
    /// Streams <paramref name="chunk"/> again and again, as a live microphone does, until <paramref name="done"/>
    /// holds: remote VAD answers come back (and are reported) while audio keeps flowing. Hang guard 15 s.
    /// With <paramref name="paced"/> each chunk waits its own duration (remote VAD answers in wall-clock time).
    /// </summary>
    internal static async Task AppendUntilAsync(RealtimeSocket client, ReadOnlyMemory<byte> chunk, Func<bool> done, bool paced = false)
    {
        long deadline = Environment.TickCount64 + 15_000;
        int chunkMs = chunk.Length / AudioFormat.Pcm16.BytesPerMillisecond();
        while (!done())
        {
            Assert.True(Environment.TickCount64 < deadline, "the awaited event never came while audio kept flowing");
            await client.AppendAudioAsync(chunk, chunk.Length);
            await Task.Delay(paced ? chunkMs : 20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>As above, until an event of <paramref name="type"/> beyond those already received arrives.</summary>
    internal static Task AppendUntilAsync(RealtimeSocket client, ReadOnlyMemory<byte> chunk, string type, bool paced = false)
    {
        int before = client.OfType(type).Count();
        return AppendUntilAsync(client, chunk, () => client.OfType(type).Count() > before, paced);
    }

    private static int UnaryCalls(FakeBackend fake, Stage stage) => stage == Stage.TtsStream
        ? fake.Requests.OfType<Realtime.Engine.Backends.Grpc.Protocol.TTSRequest>().Count(r => r.Dst.Length > 0)
        : fake.TranscribedFiles.Count;

    public void Dispose() => fixture.ClearFaults();
}
