using System.Globalization;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Grpc.Core;
using Realtime.Engine.Backends;
using Realtime.Engine.Backends.Grpc.Protocol;
using Realtime.Engines.Local.Espeak;
using Realtime.Host.Engines;
using ProtoChatDelta = Realtime.Engine.Backends.Grpc.Protocol.ChatDelta;

namespace Realtime.Host.BackendMode;

/// <summary>
/// The built-in engines behind LocalAI's backend.Backend gRPC service, so LocalAI (or another gateway) can use
/// them: Silero VAD, pocketsphinx STT (file at <c>dst</c>), espeak-ng TTS (file or stream), echo LLM.
/// One instance per call (gRPC's default); the engines themselves are the shared singletons of <see cref="BuiltinEngines"/>.
/// </summary>
internal sealed class BuiltinBackendService(BuiltinEngines engines, ILogger<BuiltinBackendService> logger) : Backend.BackendBase
{
    private const int RecognizerRate = 16_000;

    // gRPC creates one service instance per call, so per-call state can live in fields.
    private double _duration;

    private BackendRegistryBuiltins Engines => engines.Factories;

    public override Task<Reply> Health(HealthMessage request, ServerCallContext context) =>
        Task.FromResult(new Reply { Message = ByteString.CopyFromUtf8("OK") });

    /// <summary>
    /// The engines are fixed; LoadModel only warms the one the model name points at (silero, pocketsphinx,
    /// espeak-ng, echo) so the first real call does not pay its start-up. Other names are accepted as-is:
    /// LocalAI sends its own model names, and every RPC knows which engine it needs.
    /// </summary>
    public override Task<Result> LoadModel(ModelOptions request, ServerCallContext context)
    {
        try
        {
            string loaded = request.Model switch
            {
                "silero" or "energy" => Engines.SpeechDetector!(request.Model, null).Name,
                "pocketsphinx" => Engines.SpeechRecognizer!(request.Model, null).Name,
                "espeak-ng" or "espeak" => Engines.SpeechSynthesizer!(request.Model, null).Name,
                "echo" => Engines.ChatModel!(request.Model, null).Name,
                _ => "all built-in engines",
            };
            logger.LogInformation("Backend mode: LoadModel {Model} -> {Engine}", request.Model, loaded);
            return Task.FromResult(new Result { Success = true, Message = loaded });
        }
        catch (InvalidOperationException e)
        {
            return Task.FromResult(new Result { Success = false, Message = e.Message });
        }
    }

    public override Task<Result> Free(HealthMessage request, ServerCallContext context) =>
        Task.FromResult(new Result { Success = true });

    public override Task<StatusResponse> Status(HealthMessage request, ServerCallContext context)
    {
        bool failed = false;
        foreach (KeyValuePair<string, EngineStatus> status in engines.Status)
        {
            failed |= !status.Value.Ready;
        }

        return Task.FromResult(new StatusResponse { State = failed ? StatusResponse.Types.State.Error : StatusResponse.Types.State.Ready });
    }

    // ---- VAD ---------------------------------------------------------------------------------

    public override Task<VADResponse> VAD(VADRequest request, ServerCallContext context) =>
        Task.FromResult(SpeechSegmenter.Detect(Engines.SpeechDetector!("silero", null), request.Audio));

    // ---- STT ---------------------------------------------------------------------------------

    public override async Task<TranscriptResult> AudioTranscription(TranscriptRequest request, ServerCallContext context)
    {
        TranscriptResult? result = null;
        await foreach (TranscriptUpdate update in TranscribeAsync(request, context.CancellationToken).ConfigureAwait(false))
        {
            if (update.IsFinal)
            {
                result = Result(update.Text, request, _duration);
            }
        }

        return result ?? throw new RpcException(new Grpc.Core.Status(StatusCode.Internal, "pocketsphinx returned no final transcript"));
    }

    public override async Task AudioTranscriptionStream(TranscriptRequest request, IServerStreamWriter<TranscriptStreamResponse> responseStream, ServerCallContext context)
    {
        await foreach (TranscriptUpdate update in TranscribeAsync(request, context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(update.IsFinal
                ? new TranscriptStreamResponse { FinalResult = Result(update.Text, request, _duration) }
                : new TranscriptStreamResponse { Delta = update.Text }).ConfigureAwait(false);
        }
    }

    private async IAsyncEnumerable<TranscriptUpdate> TranscribeAsync(TranscriptRequest request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        float[] audio;
        try
        {
            audio = WaveFiles.ReadMono(request.Dst, RecognizerRate, out _duration);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, $"cannot read audio at dst '{request.Dst}': {e.Message}"));
        }

        ISpeechRecognizer recognizer = Engines.SpeechRecognizer!("pocketsphinx", null);
        var options = new RecognitionOptions(null, request.Language.Length > 0 ? request.Language : null, request.Prompt.Length > 0 ? request.Prompt : null);
        ISpeechRecognitionStream stream = recognizer.Open(options, cancellationToken);
        await using (stream.ConfigureAwait(false))
        {
            // Fed in 100 ms pieces, as a live session would, so partial hypotheses (deltas) appear.
            const int piece = RecognizerRate / 10;
            for (int offset = 0; offset < audio.Length; offset += piece)
            {
                stream.Write(audio.AsSpan(offset, Math.Min(piece, audio.Length - offset)));
            }

            stream.Complete();
            await foreach (TranscriptUpdate update in stream.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }
        }
    }

    private static TranscriptResult Result(string text, TranscriptRequest request, double duration)
    {
        var result = new TranscriptResult
        {
            Text = text,
            Language = request.Language.Length > 0 ? request.Language : "en",
            Duration = (float)duration,
        };
        if (text.Length > 0)
        {
            // LocalAI's segment times are Go time.Duration values: nanoseconds.
            result.Segments.Add(new TranscriptSegment { Id = 0, Start = 0, End = (long)(duration * 1e9), Text = text });
        }

        return result;
    }

    // ---- TTS ---------------------------------------------------------------------------------

    public override async Task<Result> TTS(TTSRequest request, ServerCallContext context)
    {
        if (request.Dst.Length == 0)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "TTS needs dst, the path of the WAV to write"));
        }

        var pcm = new List<short>();
        int rate = 0;
        await foreach (AudioChunk chunk in Synthesize(request, context.CancellationToken).ConfigureAwait(false))
        {
            rate = chunk.SampleRate;
            pcm.AddRange(chunk.Samples.Span);
        }

        if (rate == 0)
        {
            rate = ((EspeakSynthesizer)Engines.SpeechSynthesizer!("espeak-ng", null)).SampleRate;
        }

        WaveFiles.WriteMono(request.Dst, CollectionsMarshal.AsSpan(pcm), rate);
        return new Result { Success = true, Message = $"{pcm.Count} samples at {rate} Hz" };
    }

    /// <summary>First message announces the rate as JSON (the form LocalAI's own backends use), then PCM s16le as produced.</summary>
    public override async Task TTSStream(TTSRequest request, IServerStreamWriter<Reply> responseStream, ServerCallContext context)
    {
        var synthesizer = (EspeakSynthesizer)Engines.SpeechSynthesizer!("espeak-ng", null);
        await responseStream.WriteAsync(new Reply
        {
            Message = ByteString.CopyFromUtf8(string.Create(CultureInfo.InvariantCulture, $"{{\"sample_rate\":{synthesizer.SampleRate}}}")),
        }).ConfigureAwait(false);
        await foreach (AudioChunk chunk in Synthesize(request, context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(new Reply { Audio = ByteString.CopyFrom(MemoryMarshal.AsBytes(chunk.Samples.Span)) }).ConfigureAwait(false);
        }
    }

    private IAsyncEnumerable<AudioChunk> Synthesize(TTSRequest request, CancellationToken cancellationToken)
    {
        float speed = request.Params.TryGetValue("speed", out string? s) && float.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out float parsed) ? parsed : 1f;
        ISpeechSynthesizer synthesizer = Engines.SpeechSynthesizer!("espeak-ng", null);
        return synthesizer.SynthesizeAsync(new SynthesisRequest(request.Text, request.Voice, null, speed), cancellationToken);
    }

    // ---- LLM ---------------------------------------------------------------------------------

    public override async Task<Reply> Predict(PredictOptions request, ServerCallContext context)
    {
        var reply = new Reply();
        var text = new System.Text.StringBuilder();
        await foreach (Reply part in PredictAsync(request, context.CancellationToken).ConfigureAwait(false))
        {
            text.Append(part.Message.ToStringUtf8());
            reply.ChatDeltas.Add(part.ChatDeltas);
            reply.Tokens = Math.Max(reply.Tokens, part.Tokens);
            reply.PromptTokens = Math.Max(reply.PromptTokens, part.PromptTokens);
        }

        reply.Message = ByteString.CopyFromUtf8(text.ToString());
        return reply;
    }

    public override async Task PredictStream(PredictOptions request, IServerStreamWriter<Reply> responseStream, ServerCallContext context)
    {
        await foreach (Reply reply in PredictAsync(request, context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(reply).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Echo deltas as replies: text in <c>message</c> (and as chat_deltas content when tools were given, since a
    /// client that sees structured deltas reads only those), tool calls as chat_deltas tool_calls; token counts
    /// are running totals as LocalAI reports them.
    /// </summary>
    private async IAsyncEnumerable<Reply> PredictAsync(PredictOptions request, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ChatRequest chat;
        try
        {
            chat = PredictRequestMapper.ToChatRequest(request);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or FormatException)
        {
            throw new RpcException(new Grpc.Core.Status(StatusCode.InvalidArgument, "Tools is not valid OpenAI tool JSON: " + e.Message));
        }

        bool structured = chat.Tools.Count > 0;
        int tokens = 0;
        int promptTokens = 0;
        IChatModel model = Engines.ChatModel!("echo", null);
        await foreach (Realtime.Engine.Backends.ChatDelta delta in model.StreamAsync(chat, cancellationToken).ConfigureAwait(false))
        {
            switch (delta.Kind)
            {
                case ChatDeltaKind.Text:
                    var reply = new Reply { Message = ByteString.CopyFromUtf8(delta.Text), Tokens = ++tokens, PromptTokens = promptTokens };
                    if (structured)
                    {
                        reply.ChatDeltas.Add(new ProtoChatDelta { Content = delta.Text });
                    }

                    yield return reply;
                    break;
                case ChatDeltaKind.ToolCall:
                    var call = new ToolCallDelta { Index = delta.ToolIndex, Arguments = delta.ArgumentsDelta ?? "" };
                    if (delta.ToolCallId is not null)
                    {
                        call.Id = delta.ToolCallId;
                    }

                    if (delta.ToolName is not null)
                    {
                        call.Name = delta.ToolName;
                    }

                    yield return new Reply { Tokens = ++tokens, ChatDeltas = { new ProtoChatDelta { ToolCalls = { call } } } };
                    break;
                case ChatDeltaKind.Usage:
                    promptTokens = delta.InputTokens;
                    tokens = Math.Max(tokens, delta.OutputTokens);
                    yield return new Reply { Tokens = tokens, PromptTokens = promptTokens };
                    break;
                default:
                    break;
            }
        }
    }
}
