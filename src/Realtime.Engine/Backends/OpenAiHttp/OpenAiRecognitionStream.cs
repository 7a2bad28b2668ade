using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Realtime.Engine.Backends.Grpc;

namespace Realtime.Engine.Backends.OpenAiHttp;

internal sealed class OpenAiRecognitionStream(OpenAiHttpClient client, string? model, RecognitionOptions options, CancellationToken cancellationToken)
    : RecognitionJob(cancellationToken)
{
    private const int SampleRate = 16_000;

    protected override string BackendName => client.Uri.Canonical;

    protected override async Task RecognizeAsync(PcmTurnBuffer audio, ChannelWriter<TranscriptUpdate> updates, CancellationToken cancellationToken)
    {
        using var deadline = client.StartDeadline(cancellationToken);
        try
        {
            await RecognizeOnceAsync(audio, updates, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException e) when (!cancellationToken.IsCancellationRequested && deadline.IsCancellationRequested)
        {
            // The deadline is a failure to report, not an abandoned turn (only the caller's cancellation is that).
            throw new TimeoutException($"Backend {client.Uri} did not transcribe within {client.Options.CallTimeout.TotalSeconds:0.###} s.", e);
        }
    }

    /// <summary>One transcription call; <paramref name="token"/> also fires at the deadline.</summary>
    private async Task RecognizeOnceAsync(PcmTurnBuffer audio, ChannelWriter<TranscriptUpdate> updates, CancellationToken token)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(WaveFile.Encode(audio.Samples, SampleRate));
        file.Headers.ContentType = new MediaTypeHeaderValue("audio/wav");
        form.Add(file, "file", "audio.wav");
        form.Add(new StringContent(model ?? options.Model ?? "whisper-1"), "model");
        if (!string.IsNullOrEmpty(options.Language))
        {
            form.Add(new StringContent(options.Language), "language");
        }

        if (!string.IsNullOrEmpty(options.Prompt))
        {
            form.Add(new StringContent(options.Prompt), "prompt");
        }

        form.Add(new StringContent("json"), "response_format");
        if (client.Options.StreamTranscription)
        {
            form.Add(new StringContent("true"), "stream");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, "audio/transcriptions") { Content = form };
        using var response = await client.SendAsync(request, token).ConfigureAwait(false);
        if (response.Content.Headers.ContentType?.MediaType == "text/event-stream")
        {
            await ReadEventsAsync(response, updates, token).ConfigureAwait(false);
            return;
        }

        var body = await response.Content.ReadAsByteArrayAsync(token).ConfigureAwait(false);
        updates.TryWrite(new TranscriptUpdate(ReadText(body).Trim(), IsFinal: true));
    }

    private string ReadText(byte[] body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
            {
                return text.GetString()!;
            }
        }
        catch (JsonException)
        {
        }

        throw new InvalidDataException($"Backend {client.Uri} sent a transcription without a \"text\" field.");
    }

    private async Task ReadEventsAsync(HttpResponseMessage response, ChannelWriter<TranscriptUpdate> updates, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = body.ConfigureAwait(false);
        var collected = new StringBuilder();
        var sawVllmChunks = false;
        await foreach (var item in SseParser.Create(body).EnumerateAsync(cancellationToken).ConfigureAwait(false))
        {
            if (item.Data.Trim() == "[DONE]")
            {
                break;
            }

            using var document = JsonDocument.Parse(item.Data);
            var root = document.RootElement;
            var type = root.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (root.TryGetProperty("error", out var error))
            {
                throw new InvalidOperationException($"Backend {client.Uri} failed to transcribe: {OpenAiHttpClient.ErrorMessage(error)}");
            }

            var delta = type == "transcript.text.delta" && root.TryGetProperty("delta", out var deltaElement) ? deltaElement.GetString()
                : type is null ? VllmDelta(root)
                : null;
            if (delta is not null)
            {
                // Some servers send the whole text so far; only the new suffix is a delta.
                if (collected.Length > 0 && delta.Length >= collected.Length && delta.StartsWith(collected.ToString(), StringComparison.Ordinal))
                {
                    delta = delta[collected.Length..];
                }

                if (delta.Length > 0)
                {
                    collected.Append(delta);
                    updates.TryWrite(new TranscriptUpdate(delta, IsFinal: false));
                }
            }
            else if (type == "transcript.text.done")
            {
                var text = root.TryGetProperty("text", out var textElement) ? textElement.GetString() : null;
                updates.TryWrite(new TranscriptUpdate((string.IsNullOrEmpty(text) ? collected.ToString() : text).Trim(), IsFinal: true));
                return;
            }
        }

        if (sawVllmChunks)
        {
            updates.TryWrite(new TranscriptUpdate(collected.ToString().Trim(), IsFinal: true));
            return;
        }

        throw new IOException($"Backend {client.Uri} ended the transcription stream without transcript.text.done.");

        // vLLM streams chat-completion-style chunks: {"object":"transcription.chunk","choices":[{"delta":{"content":…}}]}.
        string? VllmDelta(JsonElement root)
        {
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0
                && choices[0].TryGetProperty("delta", out var d) && d.ValueKind == JsonValueKind.Object)
            {
                sawVllmChunks = true;
                return d.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            }

            return null;
        }
    }
}
