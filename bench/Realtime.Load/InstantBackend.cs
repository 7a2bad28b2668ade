using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Load;

/// <summary>
/// A LocalAI-style backend that answers at once: fixed transcript, three tokens, 100 ms of 24 kHz audio. It times
/// its own handling of every call so the load report can subtract backend time from the gateway's latency.
/// </summary>
public sealed class InstantBackend : Backend.BackendBase
{
    public const string Transcript = "What is the weather in Paris today?";
    public const int TtsRate = 24_000;

    private static readonly Reply SampleRate = new() { Message = ByteString.CopyFromUtf8("{\"sample_rate\":24000}") };
    private static readonly Reply[] Tokens =
    [
        new() { Message = ByteString.CopyFromUtf8("It is"), Tokens = 1 },
        new() { Message = ByteString.CopyFromUtf8(" sunny"), Tokens = 2 },
        new() { Message = ByteString.CopyFromUtf8(" today."), Tokens = 3, PromptTokens = 8 },
    ];

    // 100 ms of a quiet 440 Hz tone: one chunk is enough for a first audio delta.
    private static readonly Reply Audio = new() { Audio = ByteString.CopyFrom(Tone(TtsRate / 10)) };

    private long _sttTicks;
    private long _llmTicks;
    private long _ttsTicks;
    private long _sttCalls;
    private long _llmCalls;
    private long _ttsCalls;

    /// <summary>Snapshot of the handling time so far (Stopwatch ticks) and call counts.</summary>
    public BackendTimes Times => new(
        Interlocked.Read(ref _sttTicks), Interlocked.Read(ref _sttCalls),
        Interlocked.Read(ref _llmTicks), Interlocked.Read(ref _llmCalls),
        Interlocked.Read(ref _ttsTicks), Interlocked.Read(ref _ttsCalls));

    public override Task<Reply> Health(HealthMessage request, ServerCallContext context) =>
        Task.FromResult(new Reply { Message = ByteString.CopyFromUtf8("OK") });

    public override Task<Result> LoadModel(ModelOptions request, ServerCallContext context) =>
        Task.FromResult(new Result { Success = true });

    public override Task<TranscriptResult> AudioTranscription(TranscriptRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        var result = new TranscriptResult { Text = Transcript, Language = "en", Duration = 2.1f };
        Record(ref _sttTicks, ref _sttCalls, start);
        return Task.FromResult(result);
    }

    public override async Task AudioTranscriptionStream(TranscriptRequest request, IServerStreamWriter<TranscriptStreamResponse> responseStream, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        await responseStream.WriteAsync(new TranscriptStreamResponse { FinalResult = new TranscriptResult { Text = Transcript, Language = "en", Duration = 2.1f } });
        Record(ref _sttTicks, ref _sttCalls, start);
    }

    public override async Task PredictStream(PredictOptions request, IServerStreamWriter<Reply> responseStream, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        foreach (Reply token in Tokens)
        {
            await responseStream.WriteAsync(token);
        }

        Record(ref _llmTicks, ref _llmCalls, start);
    }

    public override async Task TTSStream(TTSRequest request, IServerStreamWriter<Reply> responseStream, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        await responseStream.WriteAsync(SampleRate);
        await responseStream.WriteAsync(Audio);
        Record(ref _ttsTicks, ref _ttsCalls, start);
    }

    public override Task<Result> TTS(TTSRequest request, ServerCallContext context)
    {
        long start = Stopwatch.GetTimestamp();
        byte[] pcm = Audio.Audio.ToByteArray();
        using (FileStream file = File.Create(request.Dst))
        {
            file.Write(WaveHeader(pcm.Length));
            file.Write(pcm);
        }

        Record(ref _ttsTicks, ref _ttsCalls, start);
        return Task.FromResult(new Result { Success = true });
    }

    private static void Record(ref long ticks, ref long calls, long start)
    {
        Interlocked.Add(ref ticks, Stopwatch.GetTimestamp() - start);
        Interlocked.Increment(ref calls);
    }

    private static byte[] Tone(int samples)
    {
        var bytes = new byte[samples * 2];
        for (int i = 0; i < samples; i++)
        {
            short s = (short)(2000 * Math.Sin(2 * Math.PI * 440 * i / TtsRate));
            bytes[2 * i] = (byte)s;
            bytes[(2 * i) + 1] = (byte)(s >> 8);
        }

        return bytes;
    }

    private static byte[] WaveHeader(int dataBytes)
    {
        var h = new byte[44];
        "RIFF"u8.CopyTo(h);
        BitConverter.TryWriteBytes(h.AsSpan(4), 36 + dataBytes);
        "WAVEfmt "u8.CopyTo(h.AsSpan(8));
        BitConverter.TryWriteBytes(h.AsSpan(16), 16);
        BitConverter.TryWriteBytes(h.AsSpan(20), (short)1);
        BitConverter.TryWriteBytes(h.AsSpan(22), (short)1);
        BitConverter.TryWriteBytes(h.AsSpan(24), TtsRate);
        BitConverter.TryWriteBytes(h.AsSpan(28), TtsRate * 2);
        BitConverter.TryWriteBytes(h.AsSpan(32), (short)2);
        BitConverter.TryWriteBytes(h.AsSpan(34), (short)16);
        "data"u8.CopyTo(h.AsSpan(36));
        BitConverter.TryWriteBytes(h.AsSpan(40), dataBytes);
        return h;
    }
}
