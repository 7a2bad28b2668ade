using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using global::Grpc.Core;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// TTS over TTSStream (both first-message forms: <c>{"sample_rate":N}</c> JSON or a 44-byte WAV header),
/// falling back to unary TTS into a file in the shared directory when the backend lacks the stream RPC.
/// </summary>
internal sealed class GrpcSpeechSynthesizer : ISpeechSynthesizer
{
    private const int FileChunkBytes = 9600;

    private readonly GrpcBackendClient _client;
    private readonly string? _model;

    public GrpcSpeechSynthesizer(GrpcBackendClient client, string? model)
    {
        _client = client;
        _model = model;
        Name = client.Uri.Canonical;
    }

    public string Name { get; }

    public async IAsyncEnumerable<AudioChunk> SynthesizeAsync(SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await _client.EnsureReadyAsync(_model, cancellationToken).ConfigureAwait(false);
        using var lease = await _client.EnterAsync("tts", cancellationToken).ConfigureAwait(false);
        var tts = BuildRequest(request);

        if (_client.SupportsTtsStream != false)
        {
            using var call = _client.Api.TTSStream(tts, _client.CallOptions(cancellationToken));
            var stream = call.ResponseStream;
            var first = await TryFirstAsync(stream, cancellationToken).ConfigureAwait(false);
            if (first is not null)
            {
                _client.SetTtsStream(true);
                var decoder = new PcmStreamDecoder(_client.Options.DefaultSynthesisSampleRate, detectHeader: true);
                var rateKnown = false;
                var more = first.Value;
                while (more)
                {
                    var reply = stream.Current;
                    if (reply.Message.Length > 0)
                    {
                        var text = reply.Message.ToString(Encoding.UTF8);
                        if (rateKnown || decoder.HasAudio || decoder.SawHeader || !TryReadRate(text, out var rate))
                        {
                            throw new InvalidOperationException($"TTS backend {Name} failed: {text}");
                        }

                        if (!PcmStreamDecoder.IsPlausibleSampleRate(rate))
                        {
                            throw new InvalidDataException($"TTS backend {Name} announced an unusable sample rate: {text}");
                        }

                        decoder.SampleRate = rate;
                        rateKnown = true;
                    }

                    if (reply.Audio.Length > 0)
                    {
                        var samples = decoder.Decode(reply.Audio.Span);
                        if (!samples.IsEmpty)
                        {
                            yield return new AudioChunk(samples, decoder.SampleRate);
                        }
                    }

                    more = await stream.NextAsync(cancellationToken).ConfigureAwait(false);
                }

                yield break;
            }

            _client.SetTtsStream(false);
            _client.Logger.LogInformation("Backend {Backend}: TTSStream unimplemented, using unary TTS through {Directory}", Name, _client.Options.SharedDirectory);
        }

        Directory.CreateDirectory(_client.Options.SharedDirectory);
        var path = Path.Combine(_client.Options.SharedDirectory, "tts-" + Guid.NewGuid().ToString("N") + ".wav");
        tts.Dst = path;
        try
        {
            var result = await _client.Api.TTSAsync(tts, _client.CallOptions(cancellationToken)).ResultAsync(cancellationToken).ConfigureAwait(false);
            if (!result.Success)
            {
                throw new InvalidOperationException($"TTS backend {Name} failed: {result.Message}");
            }

            var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 4096, useAsync: true);
            await using (file.ConfigureAwait(false))
            {
                var decoder = new PcmStreamDecoder(_client.Options.DefaultSynthesisSampleRate, detectHeader: true);
                var buffer = new byte[FileChunkBytes];
                int read;
                while ((read = await file.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    var samples = decoder.Decode(buffer.AsSpan(0, read));
                    if (!samples.IsEmpty)
                    {
                        yield return new AudioChunk(samples, decoder.SampleRate);
                    }
                }
            }
        }
        finally
        {
            TryDelete(path);
        }
    }

    private static async Task<bool?> TryFirstAsync(IAsyncStreamReader<Reply> stream, CancellationToken cancellationToken)
    {
        try
        {
            return await stream.NextAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (RpcException e) when (GrpcBackendClient.IsUnimplemented(e))
        {
            return null;
        }
    }

    private TTSRequest BuildRequest(SynthesisRequest request)
    {
        var tts = new TTSRequest { Text = request.Text, Voice = request.Voice };
        var model = _model ?? request.Model;
        if (!string.IsNullOrEmpty(model))
        {
            tts.Model = model;
        }

        if (request.Speed is > 0f and not 1f)
        {
            tts.Params.Add("speed", request.Speed.ToString(CultureInfo.InvariantCulture));
        }

        return tts;
    }

    private static bool TryReadRate(string text, out int rate)
    {
        rate = 0;
        try
        {
            using var document = JsonDocument.Parse(text);
            // Any number is the announcement (an unusable one is refused by the caller, 0 when not an Int32);
            // anything else, a string included, is an error text.
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("sample_rate", out var value)
                || value.ValueKind != JsonValueKind.Number)
            {
                return false;
            }

            rate = value.TryGetInt32(out var announced) ? announced : 0;
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: the backend may still hold it; a temp-dir sweep removes it later.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
