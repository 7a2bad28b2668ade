using System.Buffers;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Realtime.Engine.Backends.Grpc;
using Realtime.Wire.Buffers;

namespace Realtime.Engine.Backends.OpenAiHttp;

/// <summary>
/// TTS over <c>POST /audio/speech</c>. <c>pcm</c> is OpenAI's raw 24 kHz s16le body, streamed as it arrives;
/// <c>wav</c> is parsed from its header. LocalAI answers WAV even for <c>pcm</c>, so a RIFF header is always detected.
/// </summary>
internal sealed class OpenAiSpeechSynthesizer : ISpeechSynthesizer
{
    private const int OpenAiPcmRate = 24_000;
    private static readonly MediaTypeHeaderValue Json = new("application/json");

    private readonly OpenAiHttpClient _client;
    private readonly string? _model;

    public OpenAiSpeechSynthesizer(OpenAiHttpClient client, string? model)
    {
        _client = client;
        _model = model;
        Name = client.Uri.Canonical;
    }

    public string Name { get; }

    public async IAsyncEnumerable<AudioChunk> SynthesizeAsync(SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using var deadline = _client.StartDeadline(cancellationToken);
        var token = deadline.Token;
        using var message = new HttpRequestMessage(HttpMethod.Post, "audio/speech")
        {
            Content = new ByteArrayContent(BuildBody(request)) { Headers = { ContentType = Json } },
        };
        using var response = await _client.StepAsync(new ValueTask<HttpResponseMessage>(_client.SendAsync(message, token)), deadline, cancellationToken).ConfigureAwait(false);
        if (response.Content.Headers.ContentType?.MediaType is { } type && (type.StartsWith("text/", StringComparison.OrdinalIgnoreCase) || type.Contains("json", StringComparison.OrdinalIgnoreCase)))
        {
            // A proxy's error page or an error object with status 200: not audio, and not to be played as noise.
            var text = await _client.StepAsync(new ValueTask<string>(response.Content.ReadAsStringAsync(token)), deadline, cancellationToken).ConfigureAwait(false);
            throw new InvalidDataException($"Backend {Name} answered {type} instead of audio: {OpenAiHttpClient.ErrorMessage(text)}");
        }

        var body = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        await using var _ = body.ConfigureAwait(false);

        var decoder = new PcmStreamDecoder(OpenAiPcmRate, detectHeader: true);
        var buffer = BufferPool<byte>.Rent(8192);
        try
        {
            int read;
            while ((read = await _client.StepAsync(body.ReadAsync(buffer, token), deadline, cancellationToken).ConfigureAwait(false)) > 0)
            {
                var samples = decoder.Decode(buffer.AsSpan(0, read));
                if (!samples.IsEmpty)
                {
                    yield return new AudioChunk(samples, decoder.SampleRate);
                }
            }
        }
        finally
        {
            BufferPool<byte>.Return(buffer);
        }
    }

    private byte[] BuildBody(SynthesisRequest request)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", _model ?? request.Model ?? "tts-1");
            writer.WriteString("input", request.Text);
            writer.WriteString("voice", request.Voice);
            writer.WriteString("response_format", _client.Options.SpeechResponseFormat);
            if (request.Speed is > 0f and not 1f)
            {
                writer.WriteNumber("speed", Math.Round(request.Speed, 3));
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
