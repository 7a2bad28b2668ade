using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using Google.Protobuf;
using Grpc.Core;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Engine.Tests.Backends;

/// <summary>
/// In-process LocalAI-style backend (spec §5): behaviour chosen by magic strings in the request, every
/// request recorded, auth and single-worker concurrency enforced.
/// </summary>
public sealed partial class FakeBackend(FakeBackendOptions options) : Backend.BackendBase
{
    private int _healthCalls;
    private int _inFlight;
    private string? _loaded;

    public ConcurrentQueue<IMessage> Requests { get; } = new();
    public ConcurrentQueue<string> AuthHeaders { get; } = new();
    public ConcurrentQueue<(string Path, bool Existed, int Rate, int Channels, int Bits, int Samples)> TranscribedFiles { get; } = new();
    public ConcurrentQueue<string> TtsFiles { get; } = new();
    public int MaxConcurrent { get; private set; }
    public bool Overlapped { get; private set; }
    private volatile bool _cancelled;
    private long _cancelledAt;

    public bool Cancelled => _cancelled;

    /// <summary>Stopwatch timestamp at which the fake observed cancellation.</summary>
    public long CancelledAtTicks => Interlocked.Read(ref _cancelledAt);

    public T Last<T>() where T : IMessage => Requests.OfType<T>().Last();

    private sealed class Slot(FakeBackend owner) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref owner._inFlight);
    }

    private Slot Enter(ServerCallContext context, IMessage request, bool needsModel = true)
    {
        Requests.Enqueue(request);
        var auth = context.RequestHeaders.GetValue("authorization") ?? "";
        AuthHeaders.Enqueue(auth);
        if (options.Token is not null && auth != "Bearer " + options.Token)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, "invalid token"));
        }

        var now = Interlocked.Increment(ref _inFlight);
        lock (Requests)
        {
            MaxConcurrent = Math.Max(MaxConcurrent, now);
            Overlapped |= now > 1;
        }

        if (needsModel && !options.SkipLoadCheck && _loaded is null)
        {
            Interlocked.Decrement(ref _inFlight);
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "fake: model not loaded"));
        }

        return new Slot(this);
    }

    private RpcException Unimplemented() => options.GoStyleUnimplemented
        ? new RpcException(new Status(StatusCode.Unknown, "unimplemented"))
        : new RpcException(new Status(StatusCode.Unimplemented, "not implemented"));

    private async Task DelayAsync(int ms, ServerCallContext context)
    {
        try
        {
            await Task.Delay(ms, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            MarkCancelled();
            throw;
        }
    }

    private void MarkCancelled()
    {
        Interlocked.CompareExchange(ref _cancelledAt, Stopwatch.GetTimestamp(), 0);
        _cancelled = true;
    }

    public override Task<Reply> Health(HealthMessage request, ServerCallContext context)
    {
        using var slot = Enter(context, request, needsModel: false);
        if (Interlocked.Increment(ref _healthCalls) <= options.FailHealthTimes)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "starting"));
        }

        return Task.FromResult(new Reply { Message = ByteString.CopyFromUtf8("OK") });
    }

    public override Task<Result> LoadModel(ModelOptions request, ServerCallContext context)
    {
        using var slot = Enter(context, request, needsModel: false);
        if (request.Model == "fail-load")
        {
            return Task.FromResult(new Result { Success = false, Message = "boom" });
        }

        if (request.Model == "fail-load-grpc")
        {
            throw new RpcException(new Status(StatusCode.Internal, "boom grpc"));
        }

        _loaded = request.Model;
        return Task.FromResult(new Result { Success = true });
    }

    // ---- LLM -------------------------------------------------------------------------------

    public override async Task PredictStream(PredictOptions request, IServerStreamWriter<Reply> responseStream, ServerCallContext context)
    {
        using var slot = Enter(context, request);
        if (await InjectAsync(nameof(PredictStream), context, () => responseStream.WriteAsync(Text("Hello", 1))))
        {
            return;
        }

        var prompt = request.UseTokenizerTemplate
            ? request.Messages.LastOrDefault(m => m.Role == "user")?.Content ?? ""
            : request.Prompt;
        var promptWords = prompt.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length;
        var slow = SlowRegex().Match(prompt) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;

        async Task Send(Reply reply)
        {
            if (slow > 0)
            {
                await DelayAsync(slow, context);
            }

            await responseStream.WriteAsync(reply);
        }

        var tool = request.Messages.LastOrDefault();
        if (tool is { Role: "tool" })
        {
            await Send(new Reply { Message = ByteString.CopyFromUtf8("Tool said: " + tool.Content), Tokens = 3, PromptTokens = promptWords });
            return;
        }

        if (prompt.Contains("[empty]"))
        {
            return;
        }

        if (prompt.Contains("[echo]"))
        {
            // Says the prompt back at once (its [slow] is for the TTS), so TTS magic strings reach the TTS.
            await responseStream.WriteAsync(Text(prompt.Replace("[echo]", "", StringComparison.Ordinal).Trim(), 1, promptWords));
            return;
        }

        if (prompt.Contains("[badutf8]"))
        {
            // Not UTF-8 at all: a lead byte with a bad continuation, a lone 0xFF, and a sequence cut off at the end.
            await Send(new Reply { Message = ByteString.CopyFrom([.. "bad "u8, 0xC3, 0x28, (byte)' ', 0xFF]), Tokens = 1 });
            await Send(new Reply { Message = ByteString.CopyFrom([.. " end"u8, 0xE2, 0x82]), Tokens = 2, PromptTokens = promptWords });
            return;
        }

        if (BadToolRegex().Match(prompt) is { Success: true } badTool)
        {
            // A tool call whose arguments never become valid JSON.
            await Send(Deltas(new ToolCallDelta { Index = 0, Id = "call_bad_1", Name = badTool.Groups[1].Value }));
            await Send(new Reply { Tokens = 2, PromptTokens = promptWords, ChatDeltas = { new ChatDelta { ToolCalls = { new ToolCallDelta { Index = 0, Arguments = "{\"city\": \"Par" } } } } });
            return;
        }

        if (prompt.Contains("[error-first]"))
        {
            await responseStream.WriteAsync(new Reply { Message = ByteString.CopyFromUtf8("fake error") });
            throw new RpcException(new Status(StatusCode.Internal, "fake error"));
        }

        if (ToolRegex().Match(prompt) is { Success: true } toolMatch)
        {
            if (request.Tools.Length == 0)
            {
                throw new RpcException(new Status(StatusCode.InvalidArgument, "no tools"));
            }

            var name = toolMatch.Groups[1].Value;
            await Send(Deltas(new ToolCallDelta { Index = 0, Id = "call_fake_1", Name = name }));
            await Send(Deltas(new ToolCallDelta { Index = 0, Arguments = "{\"city\":" }));
            await Send(new Reply { Tokens = 3, PromptTokens = promptWords, ChatDeltas = { new ChatDelta { ToolCalls = { new ToolCallDelta { Index = 0, Arguments = "\"Paris\"}" } } } } });
            return;
        }

        if (TextToolRegex().Match(prompt) is { Success: true } textTool)
        {
            var text = "<tool_call>{\"name\":\"" + textTool.Groups[1].Value + "\",\"arguments\":{\"city\":\"Paris\"}}</tool_call>";
            await Send(Text(text[..7], 1));
            await Send(Text(text[7..30], 2));
            await Send(Text(text[30..], 3, promptWords));
            return;
        }

        if (JsonToolRegex().Match(prompt) is { Success: true } jsonTool)
        {
            await Send(Text("{\"name\": \"" + jsonTool.Groups[1].Value + "\", ", 1));
            await Send(Text("\"arguments\": {\"city\": \"Paris\"}}", 2, promptWords));
            return;
        }

        if (prompt.Contains("[think]"))
        {
            await Send(new Reply { Message = ByteString.CopyFromUtf8("<think>pondering</think>"), ChatDeltas = { new ChatDelta { ReasoningContent = "pondering" } } });
            await Send(new Reply { Message = ByteString.CopyFromUtf8("Answer."), Tokens = 2, PromptTokens = promptWords, ChatDeltas = { new ChatDelta { Content = "Answer." } } });
            return;
        }

        if (prompt.Contains("[rawthink]"))
        {
            await Send(Text("<thi", 1));
            await Send(Text("nk>pondering</th", 2));
            await Send(Text("ink>\n\nAnswer <b>x</b>.", 3, promptWords));
            return;
        }

        if (prompt.Contains("[utf8split]"))
        {
            var e = Encoding.UTF8.GetBytes("é");
            await Send(new Reply { Message = ByteString.CopyFrom([.. "caf"u8, e[0]]), Tokens = 1 });
            await Send(new Reply { Message = ByteString.CopyFrom([e[1], (byte)'!']), Tokens = 2, PromptTokens = promptWords });
            return;
        }

        if (prompt.Contains("[notokens]"))
        {
            // Older backends report no token counts at all.
            await Send(Text("Hi", 0));
            await Send(Text(" there", 0));
            return;
        }

        if (prompt.Contains("[stall]"))
        {
            await Send(Text("Hello", 1));
            await DelayAsync(Timeout.Infinite, context);
            return;
        }

        await Send(Text("Hello", 1));
        await Send(Text(" from", 2));
        if (prompt.Contains("[error-mid]"))
        {
            throw new RpcException(new Status(StatusCode.Internal, "fake mid-stream failure"));
        }

        await Send(new Reply { Message = ByteString.CopyFromUtf8(" fake."), Tokens = 3, PromptTokens = promptWords, TimingPromptProcessing = 1.0, TimingTokenGeneration = 2.0 });
    }

    private static Reply Text(string text, int tokens, int promptTokens = 0) =>
        new() { Message = ByteString.CopyFromUtf8(text), Tokens = tokens, PromptTokens = promptTokens };

    private static Reply Deltas(ToolCallDelta delta) => new() { ChatDeltas = { new ChatDelta { ToolCalls = { delta } } } };

    // ---- STT -------------------------------------------------------------------------------

    private TranscriptResult Transcribe(TranscriptRequest request)
    {
        if (!File.Exists(request.Dst))
        {
            TranscribedFiles.Enqueue((request.Dst, false, 0, 0, 0, 0));
            throw new RpcException(new Status(StatusCode.Unknown, "fake: no such file"));
        }

        var bytes = File.ReadAllBytes(request.Dst);
        var rate = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24));
        var channels = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(22));
        var bits = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(34));
        var samples = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(40)) / 2;
        TranscribedFiles.Enqueue((request.Dst, true, rate, channels, bits, samples));
        var silent = true;
        for (var i = 44; i + 1 < bytes.Length; i += 2)
        {
            if (Math.Abs(BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(i)) / 32768f) >= 0.01f)
            {
                silent = false;
                break;
            }
        }

        var duration = samples / (float)rate;
        var text = File.Exists(request.Dst + ".txt") ? File.ReadAllText(request.Dst + ".txt")
            : silent || request.Prompt.Contains("[empty]") ? ""
            : request.Prompt.Contains("hello") ? "hello world"
            : $"transcript of {(int)Math.Round(duration * 1000)} ms";
        var result = new TranscriptResult { Text = text, Duration = duration, Language = request.Language.Length > 0 ? request.Language : "en" };
        if (!silent)
        {
            result.Segments.Add(new TranscriptSegment { Id = 0, Start = 0, End = (long)(duration * 1e9), Text = text });
        }

        return result;
    }

    public override async Task<TranscriptResult> AudioTranscription(TranscriptRequest request, ServerCallContext context)
    {
        using var slot = Enter(context, request);
        await InjectAsync(nameof(AudioTranscription), context);
        await SlowTranscriptionAsync(request, context);
        return Transcribe(request);
    }

    private async Task SlowTranscriptionAsync(TranscriptRequest request, ServerCallContext context)
    {
        if (SlowRegex().Match(request.Prompt) is { Success: true } m)
        {
            await DelayAsync(int.Parse(m.Groups[1].Value), context);
        }
    }

    public override async Task AudioTranscriptionStream(TranscriptRequest request, IServerStreamWriter<TranscriptStreamResponse> responseStream, ServerCallContext context)
    {
        using var slot = Enter(context, request);
        if (options.TranscriptionStreamUnimplemented)
        {
            throw Unimplemented();
        }

        if (await InjectAsync(nameof(AudioTranscriptionStream), context, () => responseStream.WriteAsync(new TranscriptStreamResponse { Delta = "partial" })))
        {
            return;
        }

        await SlowTranscriptionAsync(request, context);
        var result = Transcribe(request);
        var words = result.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        for (var i = 0; i < words.Length; i++)
        {
            if (request.Prompt.Contains("error") && i == 1)
            {
                throw new RpcException(new Status(StatusCode.Internal, "fake transcription failure"));
            }

            await responseStream.WriteAsync(new TranscriptStreamResponse { Delta = (i == 0 ? "" : " ") + words[i] });
        }

        await responseStream.WriteAsync(new TranscriptStreamResponse { FinalResult = result });
    }

    // ---- TTS -------------------------------------------------------------------------------

    /// <summary>The fake's voice: a 440 Hz sine, amplitude 8000, 100 ms per word at <paramref name="rate"/>.</summary>
    public static short[] Speech(string text, int rate)
    {
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Count(w => !w.StartsWith('['));
        var samples = new short[words * rate / 10];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (short)Math.Round(8000 * Math.Sin(2 * Math.PI * 440 * i / rate));
        }

        return samples;
    }

    public static byte[] Bytes(ReadOnlySpan<short> samples)
    {
        var bytes = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(bytes.AsSpan(i * 2), samples[i]);
        }

        return bytes;
    }

    public static byte[] WavHeader(int rate, uint dataSize)
    {
        var h = new byte[44];
        "RIFF"u8.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(4), dataSize == uint.MaxValue ? uint.MaxValue : 36 + dataSize);
        "WAVEfmt "u8.CopyTo(h.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(24), rate);
        BinaryPrimitives.WriteInt32LittleEndian(h.AsSpan(28), rate * 2);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(h.AsSpan(34), 16);
        "data"u8.CopyTo(h.AsSpan(36));
        BinaryPrimitives.WriteUInt32LittleEndian(h.AsSpan(40), dataSize);
        return h;
    }

    public override async Task<Result> TTS(TTSRequest request, ServerCallContext context)
    {
        using var slot = Enter(context, request);
        await InjectAsync(nameof(TTS), context);
        if (request.Dst.Length == 0)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "dst required"));
        }

        if (request.Text.Contains("[fail]"))
        {
            return new Result { Success = false, Message = "fake tts failure" };
        }

        var pcm = Bytes(Speech(request.Text, options.TtsRate));
        File.WriteAllBytes(request.Dst, [.. WavHeader(options.TtsRate, (uint)pcm.Length), .. pcm]);
        TtsFiles.Enqueue(request.Dst);
        return new Result { Success = true };
    }

    public override async Task TTSStream(TTSRequest request, IServerStreamWriter<Reply> responseStream, ServerCallContext context)
    {
        using var slot = Enter(context, request);
        if (options.TtsStreamUnimplemented)
        {
            throw Unimplemented();
        }

        if (await InjectAsync(nameof(TTSStream), context, async () =>
            {
                // The rate, then the first 100 ms of audio: something the client hears before the fault.
                await responseStream.WriteAsync(new Reply { Message = ByteString.CopyFromUtf8($"{{\"sample_rate\":{options.TtsRate}}}") });
                await responseStream.WriteAsync(new Reply { Audio = ByteString.CopyFrom(Bytes(Speech("one", options.TtsRate))) });
            }))
        {
            return;
        }

        if (request.Text.Contains("[grpc-error]"))
        {
            throw new RpcException(new Status(StatusCode.Internal, "fake tts failure"));
        }

        var rate = options.TtsRate;
        if (request.Voice == "wav-header")
        {
            await responseStream.WriteAsync(new Reply { Audio = ByteString.CopyFrom(WavHeader(rate, uint.MaxValue)) });
        }
        else if (RateRegex().Match(request.Text) is { Success: true } announced)
        {
            // A wrong sample_rate field: announced as given (not a number, zero, absurd), audio still at the real rate.
            await responseStream.WriteAsync(new Reply { Message = ByteString.CopyFromUtf8($"{{\"sample_rate\":{announced.Groups[1].Value}}}") });
        }
        else if (request.Voice != "no-header")
        {
            await responseStream.WriteAsync(new Reply { Message = ByteString.CopyFromUtf8($"{{\"sample_rate\":{rate}}}") });
        }

        var pcm = Bytes(Speech(request.Text, rate));
        if (request.Text.Contains("[oddtotal]"))
        {
            // Half a sample at the end of the stream.
            pcm = [.. pcm, 0x7F];
        }

        var emptyChunks = request.Text.Contains("[emptychunks]");
        var slow = SlowRegex().Match(request.Text) is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;
        var chunk = rate / 10 * 2;
        if (request.Text.Contains("[oddsplit]"))
        {
            chunk = 999;
        }

        // A cancel can land while a chunk is being written as well as while the fake sleeps: both count as seen.
        using var seen = slow > 0 ? context.CancellationToken.Register(MarkCancelled) : default;
        for (var offset = 0; offset < pcm.Length; offset += chunk)
        {
            if (slow > 0)
            {
                await DelayAsync(slow, context);
            }

            if (emptyChunks)
            {
                await responseStream.WriteAsync(new Reply());
                await responseStream.WriteAsync(new Reply { Audio = ByteString.Empty });
            }

            await responseStream.WriteAsync(new Reply { Audio = ByteString.CopyFrom(pcm.AsSpan(offset, Math.Min(chunk, pcm.Length - offset))) });
            if (request.Text.Contains("[stream-error]"))
            {
                await responseStream.WriteAsync(new Reply { Message = ByteString.CopyFromUtf8("Error: fake") });
                return;
            }
        }
    }

    // ---- VAD -------------------------------------------------------------------------------

    public override async Task<VADResponse> VAD(VADRequest request, ServerCallContext context)
    {
        using var slot = Enter(context, request);
        await InjectAsync(nameof(VAD), context);
        const int frame = 480;
        var audio = request.Audio;
        var frames = audio.Count / frame;
        var speech = new bool[frames];
        for (var f = 0; f < frames; f++)
        {
            double sum = 0;
            for (var i = 0; i < frame; i++)
            {
                var x = audio[f * frame + i];
                sum += x * x;
            }

            speech[f] = Math.Sqrt(sum / frame) > 0.02;
        }

        var response = new VADResponse();
        var f0 = 0;
        while (f0 < frames)
        {
            if (!speech[f0])
            {
                f0++;
                continue;
            }

            var end = f0;
            var gap = 0;
            var f1 = f0;
            while (f1 < frames)
            {
                if (speech[f1])
                {
                    end = f1;
                    gap = 0;
                }
                else if (++gap * 30 >= 100)
                {
                    break;
                }

                f1++;
            }

            var open = end >= frames - 1;
            response.Segments.Add(new VADSegment { Start = f0 * 0.03f, End = open ? 0f : (end + 1) * 0.03f });
            f0 = f1 + 1;
        }

        return response;
    }

    [GeneratedRegex(@"\[slow:(\d+)\]")]
    private static partial Regex SlowRegex();

    [GeneratedRegex(@"\[tool:(\w+)\]")]
    private static partial Regex ToolRegex();

    [GeneratedRegex(@"\[texttool:(\w+)\]")]
    private static partial Regex TextToolRegex();

    [GeneratedRegex(@"\[jsontool:(\w+)\]")]
    private static partial Regex JsonToolRegex();

    [GeneratedRegex(@"\[badtool:(\w+)\]")]
    private static partial Regex BadToolRegex();

    [GeneratedRegex(@"\[rate:([^\]]*)\]")]
    private static partial Regex RateRegex();
}
