using System.Text.Json;
using Grpc.Core;
using Realtime.Engine.Tests.Backends;
using Realtime.Wire.Audio;

namespace Realtime.EndToEnd.Tests.Faults.Matrix;

/// <summary>
/// A response must always end. For every stage a backend that never answers (the call deadline, 4 s here, ends it
/// with backend_deadline_exceeded), that fails after its first message (UNAVAILABLE, which would be retried, is not:
/// something already reached the client), or that closes its stream half way with OK (what was said stands, the
/// response completes) ends the response, and the session goes on.
/// </summary>
[Collection(FaultMatrixCollection.Name)]
public sealed class StageDeadlineTests(FaultMatrixFixture fixture) : IDisposable
{
    public static TheoryData<Stage, FaultTiming> Rows()
    {
        var rows = new TheoryData<Stage, FaultTiming>();
        foreach (Stage stage in new[] { Stage.Llm, Stage.SttStream, Stage.SttUnary, Stage.TtsStream, Stage.TtsUnary })
        {
            rows.Add(stage, FaultTiming.Hang);
            if (stage is Stage.Llm or Stage.SttStream or Stage.TtsStream)
            {
                rows.Add(stage, FaultTiming.AfterFirstMessage);
                rows.Add(stage, FaultTiming.EndEarly);
            }
        }

        return rows;
    }

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task ResponseEndsWhenTheBackendHangsFailsMidwayOrStopsHalfway(Stage stage, FaultTiming timing)
    {
        FakeBackend fake = stage is Stage.SttUnary or Stage.TtsUnary ? fixture.Unary.Backend : fixture.Streaming.Backend;
        await using RealtimeSocket client = await MatrixTurns.OpenAsync(fixture, MatrixTurns.Profile(stage), stage);
        fake.Fault = new InjectedFault(MatrixTurns.Method(stage), StatusCode.Unavailable, timing);

        JsonElement done = await MatrixTurns.RunAsync(client, stage);

        Assert.Equal(1, fake.FaultedCalls);
        switch (timing)
        {
            case FaultTiming.Hang:
                MatrixTurns.AssertFailed(client, done, stage, "backend_deadline_exceeded");
                Assert.True(await Turns.EventuallyAsync(() => fake.Cancelled), "the backend never saw its call cancelled at the deadline");
                MatrixTurns.AssertEndedAtTheDeadline(client);
                break;
            case FaultTiming.AfterFirstMessage:
                MatrixTurns.AssertFailed(client, done, stage, "backend_unavailable");
                AssertFirstMessageReachedTheClient(client, done, stage);
                MatrixTurns.AssertEndedBeforeTheDeadline(client);
                break;
            default:
                Assert.True(Turns.Status(done) == "completed", done.GetRawText());
                AssertFirstMessageReachedTheClient(client, done, stage);
                break;
        }

        fake.Fault = null;
        await MatrixTurns.AssertGoesOnAsync(client, stage);
    }

    [Fact]
    public async Task VadThatStopsAnsweringMidSpeechStillEndsTheTurnAndItsResponse()
    {
        FakeBackend fake = fixture.Streaming.Backend;
        await using RealtimeSocket client = await fixture.ConnectAsync("vad");
        await client.SendAsync(Turns.TextOnly);
        await client.WaitFor("session.updated");
        ReadOnlyMemory<byte> speech = GrpcStatusMatrixTests.Speech(100);
        await GrpcStatusMatrixTests.AppendUntilAsync(client, speech, "input_audio_buffer.speech_started", paced: true);

        // The user is still speaking when the VAD backend stops answering: its calls meet their deadline, the audio
        // counts as silence meanwhile, so the turn ends and is answered instead of waiting for a "speech ended".
        fake.Fault = new InjectedFault("VAD", StatusCode.Unavailable, FaultTiming.Hang);
        await GrpcStatusMatrixTests.AppendUntilAsync(client, speech, "response.done", paced: true);

        JsonElement error = Assert.Single(client.OfType("error")).GetProperty("error");
        Assert.Equal("backend_deadline_exceeded", error.GetProperty("code").GetString());
        Assert.Single(client.OfType("input_audio_buffer.speech_stopped"));
        JsonElement done = client.OfType("response.done").Single();
        Assert.True(Turns.Status(done) == "completed", done.GetRawText());

        // The backend answers again: speech is detected again.
        fake.Fault = null;
        await GrpcStatusMatrixTests.AppendUntilAsync(client, speech, "input_audio_buffer.speech_started", paced: true);
        Assert.False(client.Completion.IsCompleted);
    }

    [Fact]
    public async Task ClosingTheSessionCancelsATranscriptionInFlight()
    {
        // A server of its own with a deadline far beyond the hang guard: only the close can end the call in time.
        await using FaultServer server = await FaultServer.StartAsync("--Realtime:Backends:CallTimeoutSeconds=600");
        FakeBackend fake = server.Fake;
        RealtimeSocket client = await server.ConnectAsync();
        await client.SendAsync("""{"type":"session.update","session":{"type":"realtime","output_modalities":["text"],"audio":{"input":{"transcription":{"model":"whisper-1"},"turn_detection":null}}}}""");
        await client.WaitFor("session.updated");
        fake.Fault = new InjectedFault("AudioTranscriptionStream", StatusCode.Unavailable, FaultTiming.Hang);
        await client.AppendAudioAsync(GrpcStatusMatrixTests.Speech(600), 100 * AudioFormat.Pcm16.BytesPerMillisecond());
        await client.SendAsync("""{"type":"input_audio_buffer.commit"}""");
        await client.WaitFor("input_audio_buffer.committed");
        Assert.True(await Turns.EventuallyAsync(() => fake.FaultedCalls == 1), "the transcription never reached the backend");
        Assert.False(fake.Cancelled);

        await client.DisposeAsync();

        Assert.True(await Turns.EventuallyAsync(() => fake.Cancelled, 30_000), "the closed session's transcription was not cancelled");
        await server.AssertNoSessionLeftAsync();
    }

    private static void AssertFirstMessageReachedTheClient(RealtimeSocket client, JsonElement done, Stage stage)
    {
        if (stage == Stage.Llm)
        {
            Assert.Equal("Hello", Turns.Text(client, done));
        }
        else if (stage == Stage.TtsStream)
        {
            Assert.Equal(2400, Turns.AudioSamples(client, done));
        }
        else
        {
            JsonElement delta = client.OfType("conversation.item.input_audio_transcription.delta").Last();
            Assert.Equal("partial", delta.GetProperty("delta").GetString());
        }
    }

    public void Dispose() => fixture.ClearFaults();
}
