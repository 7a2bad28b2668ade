using System.Buffers.Binary;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Realtime.Engine.Audio;
using Realtime.Engine.Backends.Grpc.Protocol;
using Realtime.Engine.Backends;
using Realtime.Engine.TurnDetection;
using Realtime.Wire.Audio;

namespace Realtime.Baseline;

/// <summary>One realtime connection of the baseline gateway: receive loop, DOM parse, VAD, and a response task per turn.</summary>
public sealed class BaselineSession(WebSocket socket, ISpeechDetector detector, Backend.BackendClient backend)
{
    private const int OutputRate = 24_000;
    private static readonly string SharedDirectory = Path.Combine(Path.GetTempPath(), "realtime-baseline-stt");

    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TurnDetector _turns = new(detector, new TurnDetectionSettings());
    private readonly InputAudioConverter _converter = new(AudioFormat.Pcm16);
    private readonly List<TurnEvent> _events = [];
    private readonly MemoryStream _uncommitted = new();
    private readonly string _sessionId = "sess_" + Guid.NewGuid().ToString("N");
    private int _nextId;
    private string _itemId = "";

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var responses = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        try
        {
            await SendAsync(new JsonObject
            {
                ["type"] = "session.created",
                ["event_id"] = NextId("event"),
                ["session"] = Session(new JsonObject()),
            });

            var buffer = new byte[4096];
            using var message = new MemoryStream();
            while (socket.State == WebSocketState.Open)
            {
                message.SetLength(0);
                WebSocketReceiveResult result;
                do
                {
                    result = await socket.ReceiveAsync(buffer, cancellationToken);
                    if (result.MessageType == WebSocketMessageType.Close)
                    {
                        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
                        return;
                    }

                    message.Write(buffer, 0, result.Count);
                }
                while (!result.EndOfMessage);

                await HandleAsync(JsonNode.Parse(message.GetBuffer().AsSpan(0, (int)message.Length)), responses.Token);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException)
        {
            // The client went away.
        }
        finally
        {
            await responses.CancelAsync();
            _turns.Dispose();
        }
    }

    private async Task HandleAsync(JsonNode? node, CancellationToken cancellationToken)
    {
        string? type = node?["type"]?.GetValue<string>();
        switch (type)
        {
            case "session.update":
                await SendAsync(new JsonObject
                {
                    ["type"] = "session.updated",
                    ["event_id"] = NextId("event"),
                    ["session"] = Session(node!["session"]?.DeepClone().AsObject() ?? new JsonObject()),
                });
                break;
            case "input_audio_buffer.append":
                byte[] pcm = Convert.FromBase64String(node!["audio"]!.GetValue<string>());
                await OnAudioAsync(pcm, cancellationToken);
                break;
            default:
                await SendAsync(new JsonObject
                {
                    ["type"] = "error",
                    ["event_id"] = NextId("event"),
                    ["error"] = new JsonObject { ["type"] = "invalid_request_error", ["code"] = "unknown_event", ["message"] = "unsupported by the baseline: " + type },
                });
                break;
        }
    }

    private async Task OnAudioAsync(byte[] pcm, CancellationToken cancellationToken)
    {
        var samples = new float[InputAudioConverter.MaxOutputSamples(pcm.Length, AudioFormat.Pcm16)];
        int count = _converter.Convert(pcm, samples);
        var pcm16k = new byte[count * 2];
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(pcm16k.AsSpan(i * 2), (short)Math.Clamp(samples[i] * 32767f, short.MinValue, short.MaxValue));
        }

        _uncommitted.Write(pcm16k);
        _events.Clear();
        _turns.Process(samples.AsSpan(0, count), _events);
        foreach (TurnEvent turn in _events)
        {
            if (turn.Kind == TurnEventKind.SpeechStarted)
            {
                _itemId = NextId("item");
                await SendAsync(new JsonObject { ["type"] = "input_audio_buffer.speech_started", ["event_id"] = NextId("event"), ["audio_start_ms"] = turn.AudioMs, ["item_id"] = _itemId });
            }
            else
            {
                await SendAsync(new JsonObject { ["type"] = "input_audio_buffer.speech_stopped", ["event_id"] = NextId("event"), ["audio_end_ms"] = turn.AudioMs, ["item_id"] = _itemId });
                await SendAsync(new JsonObject { ["type"] = "input_audio_buffer.committed", ["event_id"] = NextId("event"), ["previous_item_id"] = null, ["item_id"] = _itemId });
                byte[] turnAudio = _uncommitted.ToArray();
                _uncommitted.SetLength(0);
                _ = RespondAsync(turnAudio, _itemId, cancellationToken);
            }
        }
    }

    private async Task RespondAsync(byte[] pcm16k, string userItemId, CancellationToken cancellationToken)
    {
        string responseId = NextId("resp");
        string itemId = NextId("item");
        try
        {
            // LocalAI's transcription reads a file, as the real server's gRPC recognizer does.
            Directory.CreateDirectory(SharedDirectory);
            string path = Path.Combine(SharedDirectory, "utt-" + Guid.NewGuid().ToString("N") + ".wav");
            await File.WriteAllBytesAsync(path, Wave(pcm16k), cancellationToken);
            TranscriptResult transcript;
            try
            {
                transcript = await backend.AudioTranscriptionAsync(new TranscriptRequest { Dst = path }, cancellationToken: cancellationToken);
            }
            finally
            {
                File.Delete(path);
            }

            await SendAsync(new JsonObject
            {
                ["type"] = "conversation.item.input_audio_transcription.completed",
                ["event_id"] = NextId("event"),
                ["item_id"] = userItemId,
                ["content_index"] = 0,
                ["transcript"] = transcript.Text,
            });
            await SendAsync(new JsonObject
            {
                ["type"] = "response.created",
                ["event_id"] = NextId("event"),
                ["response"] = new JsonObject { ["id"] = responseId, ["object"] = "realtime.response", ["status"] = "in_progress", ["output"] = new JsonArray() },
            });

            var request = new PredictOptions { UseTokenizerTemplate = true, Messages = { new Message { Role = "user", Content = transcript.Text } } };
            var text = new StringBuilder();
            using (AsyncServerStreamingCall<Reply> llm = backend.PredictStream(request, cancellationToken: cancellationToken))
            {
                await foreach (Reply reply in llm.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    string token = reply.Message.ToStringUtf8();
                    text.Append(token);
                    await SendAsync(new JsonObject
                    {
                        ["type"] = "response.output_audio_transcript.delta",
                        ["event_id"] = NextId("event"),
                        ["response_id"] = responseId,
                        ["item_id"] = itemId,
                        ["output_index"] = 0,
                        ["content_index"] = 0,
                        ["delta"] = token,
                    });
                }
            }

            int rate = OutputRate;
            PolyphaseResampler? resampler = null;
            using (AsyncServerStreamingCall<Reply> tts = backend.TTSStream(new TTSRequest { Text = text.ToString() }, cancellationToken: cancellationToken))
            {
                await foreach (Reply reply in tts.ResponseStream.ReadAllAsync(cancellationToken))
                {
                    if (reply.Audio.IsEmpty)
                    {
                        using JsonDocument header = JsonDocument.Parse(reply.Message.Memory);
                        rate = header.RootElement.GetProperty("sample_rate").GetInt32();
                        resampler = rate == OutputRate ? null : new PolyphaseResampler(rate, OutputRate);
                        continue;
                    }

                    byte[] audio = resampler is null ? reply.Audio.ToByteArray() : Resample(resampler, reply.Audio);
                    var delta = new AudioDeltaEvent { EventId = NextId("event"), ResponseId = responseId, ItemId = itemId, Delta = Convert.ToBase64String(audio) };
                    await SendRawAsync(JsonSerializer.SerializeToUtf8Bytes(delta, BaselineJsonContext.Default.AudioDeltaEvent));
                }
            }

            await SendAsync(new JsonObject { ["type"] = "response.output_audio.done", ["event_id"] = NextId("event"), ["response_id"] = responseId, ["item_id"] = itemId, ["output_index"] = 0, ["content_index"] = 0 });
            await SendAsync(new JsonObject
            {
                ["type"] = "response.done",
                ["event_id"] = NextId("event"),
                ["response"] = new JsonObject { ["id"] = responseId, ["object"] = "realtime.response", ["status"] = "completed", ["output"] = new JsonArray(new JsonObject { ["id"] = itemId, ["type"] = "message", ["role"] = "assistant", ["content"] = new JsonArray(new JsonObject { ["type"] = "output_audio", ["transcript"] = text.ToString() }) }) },
            });
        }
        catch (Exception e) when (e is RpcException or IOException or WebSocketException or OperationCanceledException)
        {
            if (!cancellationToken.IsCancellationRequested)
            {
                await SendAsync(new JsonObject
                {
                    ["type"] = "response.done",
                    ["event_id"] = NextId("event"),
                    ["response"] = new JsonObject { ["id"] = responseId, ["object"] = "realtime.response", ["status"] = "failed" },
                });
            }
        }
    }

    private JsonObject Session(JsonObject session)
    {
        session["id"] = _sessionId;
        session["object"] = "realtime.session";
        session["type"] = "realtime";
        session["model"] ??= "gpt-realtime";
        return session;
    }

    private Task SendAsync(JsonObject message) => SendRawAsync(JsonSerializer.SerializeToUtf8Bytes(message, BaselineJsonContext.Default.JsonObject));

    private async Task SendRawAsync(byte[] utf8)
    {
        await _sendLock.WaitAsync();
        try
        {
            if (socket.State == WebSocketState.Open)
            {
                await socket.SendAsync(utf8, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None);
            }
        }
        finally
        {
            _sendLock.Release();
        }
    }

    private string NextId(string prefix) => prefix + "_" + Interlocked.Increment(ref _nextId).ToString(System.Globalization.CultureInfo.InvariantCulture) + "_" + _sessionId[5..17];

    private static byte[] Resample(PolyphaseResampler resampler, ByteString audio)
    {
        ReadOnlySpan<byte> bytes = audio.Span;
        var input = new float[bytes.Length / 2];
        for (int i = 0; i < input.Length; i++)
        {
            input[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes[(i * 2)..]) / 32768f;
        }

        var output = new float[resampler.MaxOutputSamples(input.Length)];
        int count = resampler.Process(input, output);
        var result = new byte[count * 2];
        for (int i = 0; i < count; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(result.AsSpan(i * 2), (short)Math.Clamp(output[i] * 32767f, short.MinValue, short.MaxValue));
        }

        return result;
    }

    private static byte[] Wave(byte[] pcm16k)
    {
        var wav = new byte[44 + pcm16k.Length];
        "RIFF"u8.CopyTo(wav);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(4), 36 + pcm16k.Length);
        "WAVEfmt "u8.CopyTo(wav.AsSpan(8));
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(16), 16);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(20), 1);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(22), 1);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(24), 16_000);
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(28), 32_000);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(32), 2);
        BinaryPrimitives.WriteInt16LittleEndian(wav.AsSpan(34), 16);
        "data"u8.CopyTo(wav.AsSpan(36));
        BinaryPrimitives.WriteInt32LittleEndian(wav.AsSpan(40), pcm16k.Length);
        pcm16k.CopyTo(wav.AsSpan(44));
        return wav;
    }
}
