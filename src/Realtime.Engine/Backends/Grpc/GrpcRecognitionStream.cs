using System.Text;
using System.Threading.Channels;
using global::Grpc.Core;
using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Engine.Backends.Grpc;

internal sealed class GrpcRecognitionStream(GrpcBackendClient client, string? model, RecognitionOptions options, CancellationToken cancellationToken)
    : RecognitionJob(cancellationToken)
{
    private const int SampleRate = 16_000;

    protected override string BackendName => client.Uri.Canonical;

    protected override ILogger Logger => client.Logger;

    protected override async Task RecognizeAsync(PcmTurnBuffer audio, ChannelWriter<TranscriptUpdate> updates, CancellationToken cancellationToken)
    {
        await client.EnsureReadyAsync(model, cancellationToken).ConfigureAwait(false);
        var directory = client.Options.SharedDirectory;
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "utt-" + Guid.NewGuid().ToString("N") + ".wav");
        await File.WriteAllBytesAsync(path, WaveFile.Encode(audio.Samples, SampleRate), cancellationToken).ConfigureAwait(false);
        try
        {
            var request = new TranscriptRequest { Dst = path, Language = options.Language ?? string.Empty, Prompt = options.Prompt ?? string.Empty };
            using var lease = await client.EnterAsync("transcription", cancellationToken).ConfigureAwait(false);
            if (client.SupportsTranscriptionStream != false)
            {
                request.Stream = true;
                if (await TryStreamAsync(request, updates, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                request.Stream = false;
            }

            var result = await client.Api.AudioTranscriptionAsync(request, client.CallOptions(cancellationToken)).ResultAsync(cancellationToken).ConfigureAwait(false);
            updates.TryWrite(new TranscriptUpdate(result.Text.Trim(), IsFinal: true));
        }
        finally
        {
            GrpcSpeechSynthesizer.TryDelete(path);
        }
    }

    /// <summary>False when the backend lacks the stream RPC (remembered per backend).</summary>
    private async Task<bool> TryStreamAsync(TranscriptRequest request, ChannelWriter<TranscriptUpdate> updates, CancellationToken cancellationToken)
    {
        using var call = client.Api.AudioTranscriptionStream(request, client.CallOptions(cancellationToken));
        var collected = new StringBuilder();
        var any = false;
        try
        {
            while (await call.ResponseStream.NextAsync(cancellationToken).ConfigureAwait(false))
            {
                any = true;
                var message = call.ResponseStream.Current;
                if (message.Delta.Length > 0)
                {
                    collected.Append(message.Delta);
                    updates.TryWrite(new TranscriptUpdate(message.Delta, IsFinal: false));
                }

                if (message.FinalResult is { } final)
                {
                    var text = final.Text.Length > 0 ? final.Text : collected.ToString();
                    updates.TryWrite(new TranscriptUpdate(text.Trim(), IsFinal: true));
                    client.SetTranscriptionStream(true);
                    return true;
                }
            }
        }
        catch (RpcException e) when (!any && GrpcBackendClient.IsUnimplemented(e))
        {
            client.SetTranscriptionStream(false);
            client.Logger.LogInformation("Backend {Backend}: AudioTranscriptionStream unimplemented, using AudioTranscription", client.Uri);
            return false;
        }

        // A stream that ends without final_result still ends the turn with what was decoded.
        client.SetTranscriptionStream(true);
        updates.TryWrite(new TranscriptUpdate(collected.ToString().Trim(), IsFinal: true));
        return true;
    }
}
