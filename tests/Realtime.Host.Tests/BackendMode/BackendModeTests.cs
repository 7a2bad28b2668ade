using System.Buffers.Binary;
using System.Net;
using System.Text.Json;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc.Protocol;
using Realtime.Host.BackendMode;
using ChatDelta = Realtime.Engine.Backends.ChatDelta;

namespace Realtime.Host.Tests.BackendMode;

/// <summary>Each RPC of backend mode, end to end over a real HTTP/2 socket, through our own gRPC client.</summary>
public sealed class BackendModeTests(BackendModeFixture backend) : IClassFixture<BackendModeFixture>
{
    private const int EspeakRate = 22_050;
    private const string Question = "What is the weather in Paris today?";

    private static readonly ChatTool Weather = new("get_weather", "Current weather",
        """{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}""");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task HealthLoadModelAndStatusAnswerLikeALocalAiBackend()
    {
        Reply health = await backend.Raw.HealthAsync(new HealthMessage(), cancellationToken: Token);
        Result load = await backend.Raw.LoadModelAsync(new ModelOptions { Model = "echo" }, cancellationToken: Token);
        StatusResponse status = await backend.Raw.StatusAsync(new HealthMessage(), cancellationToken: Token);

        Assert.Equal("OK", health.Message.ToStringUtf8());
        Assert.Equal((true, "builtin:echo"), (load.Success, load.Message));
        Assert.Equal(StatusResponse.Types.State.Ready, status.State);
    }

    [Fact]
    public async Task VadFindsTheWeatherQuestionAndLeavesACutOffSegmentOpen()
    {
        float[] audio = WaveFiles.ReadMono(BackendModeFixture.Audio("weather_question_16k.wav"), 16_000, out _);

        var whole = new VADRequest();
        whole.Audio.Add(audio);
        VADResponse full = await backend.Raw.VADAsync(whole, cancellationToken: Token);

        // Cut at 1.5 s, mid-sentence: the user is still speaking, which LocalAI reports as end = 0.
        var cut = new VADRequest();
        cut.Audio.Add(audio.AsSpan(0, 24_000).ToArray());
        VADResponse open = await backend.Raw.VADAsync(cut, cancellationToken: Token);

        VADSegment segment = Assert.Single(full.Segments);
        Assert.InRange(segment.Start, 0.35f, 0.7f);
        Assert.InRange(segment.End, 2.3f, 2.9f);
        VADSegment openSegment = Assert.Single(open.Segments);
        Assert.Equal(segment.Start, openSegment.Start);
        Assert.Equal(0f, openSegment.End);
    }

    [Fact]
    public async Task GrpcSpeechDetectorSeesSpeechThenSilence()
    {
        float[] audio = WaveFiles.ReadMono(BackendModeFixture.Audio("weather_question_16k.wav"), 16_000, out _);
        ISpeechDetector detector = backend.Registry.GetSpeechDetector(backend.Uri, "silero");
        using ISpeechDetectorStream stream = detector.OpenStream();
        int frame = detector.FrameSamples;

        // The sentence (0.7 s..2.2 s) over and over until a round trip lands: the remote answer lags by design, so
        // the test waits for it rather than for a fixed time, and the window always ends inside real speech.
        int first = 11_200 / frame;
        int count = (35_200 / frame) - first;
        int next = 0;
        float p = await UntilAsync(() => stream.Process(audio.AsSpan((first + (next++ % count)) * frame, frame)), 1f);
        Assert.Equal(1f, p);

        // Silence until the detector's window holds no speech.
        float[] silence = new float[frame];
        p = await UntilAsync(() => stream.Process(silence), 0f);
        Assert.Equal(0f, p);
    }

    [Fact]
    public async Task TranscriptionStreamOfAFixtureThroughGrpcSpeechRecognizer()
    {
        DateTime started = DateTime.UtcNow.AddSeconds(-1);
        float[] audio = WaveFiles.ReadMono(BackendModeFixture.Audio("weather_question_16k.wav"), 16_000, out _);
        ISpeechRecognizer recognizer = backend.Registry.GetSpeechRecognizer(backend.Uri, "pocketsphinx");
        var stream = recognizer.Open(new RecognitionOptions(null, "en", null), Token);
        await using (stream)
        {
            stream.Write(audio);
            stream.Complete();
            var updates = new List<TranscriptUpdate>();
            await foreach (TranscriptUpdate update in stream.ReadAsync(Token))
            {
                updates.Add(update);
            }

            TranscriptUpdate final = updates[^1];
            Assert.True(final.IsFinal);
            Assert.StartsWith("what is", final.Text, StringComparison.Ordinal);
            Assert.All(updates[..^1], u => Assert.False(u.IsFinal));
        }

        // The file this call wrote into the shared directory was removed once the stream was done (files of
        // other tests' calls, written before this one started, are not this test's concern).
        string shared = Path.Combine(Path.GetTempPath(), "realtime-fast-backendmode-" + Environment.ProcessId);
        Assert.Empty(Directory.Exists(shared)
            ? Directory.GetFiles(shared, "*.wav").Where(f => File.GetLastWriteTimeUtc(f) >= started)
            : []);
    }

    [Fact]
    public async Task UnaryTranscriptionReadsA24kHzWavAtDst()
    {
        string path = BackendModeFixture.Audio("weather_question.wav");

        TranscriptResult result = await backend.Raw.AudioTranscriptionAsync(new TranscriptRequest { Dst = path }, cancellationToken: Token);

        Assert.StartsWith("what is", result.Text, StringComparison.Ordinal);
        Assert.Equal("en", result.Language);
        Assert.InRange(result.Duration, 3.62f, 3.64f);
        TranscriptSegment segment = Assert.Single(result.Segments);
        Assert.Equal((0L, result.Text), (segment.Start, segment.Text));
        Assert.InRange(segment.End, 3_620_000_000L, 3_640_000_000L);
    }

    [Fact]
    public async Task MissingDstIsInvalidArgumentNamingThePath()
    {
        var e = await Assert.ThrowsAsync<Grpc.Core.RpcException>(async () =>
            await backend.Raw.AudioTranscriptionAsync(new TranscriptRequest { Dst = "/nonexistent/turn.wav" }, cancellationToken: Token));

        Assert.Equal(Grpc.Core.StatusCode.InvalidArgument, e.StatusCode);
        Assert.Contains("/nonexistent/turn.wav", e.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task TtsStreamThroughGrpcSpeechSynthesizerAnnouncesEspeakRate()
    {
        ISpeechSynthesizer synthesizer = backend.Registry.GetSpeechSynthesizer(backend.Uri, "espeak-ng");
        int samples = 0;
        int chunks = 0;
        var rates = new HashSet<int>();
        await foreach (AudioChunk chunk in synthesizer.SynthesizeAsync(new SynthesisRequest(Question, "alloy", null, 1f), Token))
        {
            samples += chunk.Samples.Length;
            chunks++;
            rates.Add(chunk.SampleRate);
        }

        Assert.Equal([EspeakRate], rates);
        Assert.True(chunks > 1, $"{chunks} chunk(s): espeak's callback chunks should stream");
        // Seven words of espeak at its normal 175 wpm: about two seconds.
        Assert.InRange(samples / (double)EspeakRate, 1.2, 3.5);
    }

    [Fact]
    public async Task UnaryTtsWritesAWavAtDst()
    {
        string path = Path.Combine(Path.GetTempPath(), $"backendmode-tts-{Guid.NewGuid():N}.wav");
        try
        {
            Result result = await backend.Raw.TTSAsync(new TTSRequest { Text = Question, Voice = "alloy", Dst = path }, cancellationToken: Token);

            Assert.True(result.Success, result.Message);
            byte[] wav = await File.ReadAllBytesAsync(path, Token);
            Assert.Equal("RIFF", System.Text.Encoding.ASCII.GetString(wav, 0, 4));
            Assert.Equal(EspeakRate, BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(24)));
            Assert.Equal(1, BinaryPrimitives.ReadInt16LittleEndian(wav.AsSpan(22)));
            int dataBytes = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(40));
            Assert.Equal(wav.Length - 44, dataBytes);
            Assert.InRange(dataBytes / 2 / (double)EspeakRate, 1.2, 3.5);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task EchoStreamsThroughGrpcChatModel()
    {
        IChatModel model = backend.Registry.GetChatModel(backend.Uri, "echo");
        var request = new ChatRequest(null, "Be brief.", [new ChatMessage(ChatRole.User, "hello there")], [], "auto", null, null);

        List<ChatDelta> deltas = await CollectAsync(model, request);

        Assert.Equal(["You", " said:", " hello", " there"], deltas.Where(d => d.Kind == ChatDeltaKind.Text).Select(d => d.Text));
        ChatDelta usage = Assert.Single(deltas, d => d.Kind == ChatDeltaKind.Usage);
        Assert.Equal(4, usage.OutputTokens);
        Assert.True(usage.InputTokens > 0);
        Assert.Equal("stop", deltas[^1].FinishReason);
    }

    [Fact]
    public async Task EchoCallsANamedToolAsChatDeltas()
    {
        IChatModel model = backend.Registry.GetChatModel(backend.Uri, "echo");
        var request = new ChatRequest(null, null, [new ChatMessage(ChatRole.User, Question)], [Weather], "auto", null, null);

        List<ChatDelta> deltas = await CollectAsync(model, request);

        var calls = deltas.Where(d => d.Kind == ChatDeltaKind.ToolCall).ToList();
        Assert.NotEmpty(calls);
        Assert.Equal("get_weather", calls[0].ToolName);
        Assert.StartsWith("call_", calls[0].ToolCallId, StringComparison.Ordinal);
        Assert.Equal("""{"location":"Paris"}""", string.Concat(calls.Select(c => c.ArgumentsDelta)));
        Assert.DoesNotContain(deltas, d => d.Kind == ChatDeltaKind.Text);
        Assert.Equal("tool_calls", deltas[^1].FinishReason);
    }

    [Fact]
    public async Task EchoReportsAToolOutput()
    {
        IChatModel model = backend.Registry.GetChatModel(backend.Uri, "echo");
        var request = new ChatRequest(null, null,
        [
            new ChatMessage(ChatRole.User, Question),
            new ChatMessage(ChatRole.Assistant, "") { ToolCalls = [new ChatToolCall("call_1", "get_weather", """{"location":"Paris"}""")] },
            new ChatMessage(ChatRole.Tool, "sunny") { ToolCallId = "call_1" },
        ], [Weather], "auto", null, null);

        List<ChatDelta> deltas = await CollectAsync(model, request);

        Assert.Equal("The tool returned: sunny", string.Concat(deltas.Where(d => d.Kind == ChatDeltaKind.Text).Select(d => d.Text)));
    }

    [Fact]
    public async Task UnaryPredictUsesTheRawPromptWithoutTemplate()
    {
        Reply reply = await backend.Raw.PredictAsync(new PredictOptions { Prompt = "good morning" }, cancellationToken: Token);

        Assert.Equal("You said: good morning", reply.Message.ToStringUtf8());
        Assert.Equal(4, reply.Tokens);
    }

    [Fact]
    public void AddressIsParsedAsLocalAiPassesIt()
    {
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 50051), BackendModeServer.ParseAddress("127.0.0.1:50051"));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 7), BackendModeServer.ParseAddress("localhost:7"));
        Assert.Equal(new IPEndPoint(IPAddress.Any, 9000), BackendModeServer.ParseAddress(":9000") is { } e && e.Port == 9000 ? new IPEndPoint(IPAddress.Any, 9000) : null);
        Assert.Equal(new IPEndPoint(IPAddress.IPv6Loopback, 1), BackendModeServer.ParseAddress("[::1]:1"));
        Assert.Throws<FormatException>(() => BackendModeServer.ParseAddress("50051"));
        Assert.True(BackendModeServer.IsRequested(["backend", "--addr", "x"]));
        Assert.False(BackendModeServer.IsRequested(["--urls", "http://x"]));
    }

    [Fact]
    public void ToolChoiceAndToolsAreReadFromOpenAiJson()
    {
        Assert.Equal("auto", PredictRequestMapper.ReadToolChoice(""));
        Assert.Equal("required", PredictRequestMapper.ReadToolChoice("\"required\""));
        Assert.Equal("get_weather", PredictRequestMapper.ReadToolChoice("""{"type":"function","function":{"name":"get_weather"}}"""));
        var tools = PredictRequestMapper.ReadTools("""[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}]""");
        Assert.Equal(new ChatTool("f", "d", """{"type":"object"}"""), Assert.Single(tools));
        Assert.ThrowsAny<JsonException>(() => PredictRequestMapper.ReadTools("[{"));
    }

    private static async Task<List<ChatDelta>> CollectAsync(IChatModel model, ChatRequest request)
    {
        var deltas = new List<ChatDelta>();
        await foreach (ChatDelta delta in model.StreamAsync(request, Token))
        {
            deltas.Add(delta);
        }

        return deltas;
    }

    /// <summary>Calls <paramref name="process"/> until it returns <paramref name="expected"/> (or 10 s pass): the remote answer lags a round trip.</summary>
    private static async Task<float> UntilAsync(Func<float> process, float expected)
    {
        float p = process();
        for (int i = 0; i < 1000 && p != expected; i++)
        {
            await Task.Delay(10, Token);
            p = process();
        }

        return p;
    }
}
