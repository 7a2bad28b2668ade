using System.Runtime.InteropServices;
using System.Threading.Channels;
using Realtime.Engine.Audio;
using Realtime.Engine.Backends;
using Realtime.Engine.Sessions;
using Realtime.Wire.Audio;
using Realtime.Wire.Buffers;

namespace Realtime.Engine.Responses;

/// <summary>
/// Runs the backends of one response off the session loop: streams the chat model, hands text to the synthesizer
/// clause by clause (synthesis of a chunk overlaps the model writing the next), and posts every delta and audio
/// chunk to the session inbox. It touches no session state.
/// </summary>
/// <remarks>
/// No thread hand-off on the way to the first audio: a clause reaches the synthesis task on the producer's thread
/// (synchronous continuations), and the response's first audio chunk is handled by the session loop on the thread
/// that posted it when the loop is idle or parked on a batched VAD inference
/// (<see cref="SessionInbox.TryWriteOutputAndDrain"/>), as a client event is on the connection's. Each hand-off to the
/// thread pool was a wait in its queue behind other sessions' work: with 50 speaking sessions on two cores, those
/// waits were the tail of the gateway's own time to first audio. Everything else still goes through the pool: while a
/// drain is scheduled, the next deltas join it and leave in one socket write (handled one by one on arrival, an
/// instant gRPC LLM's text response cost ~40 % more CPU and was no faster).
/// </remarks>
internal static class ResponseProducer
{
    public static async Task RunAsync(ResponseRun run, ChatRequest request, IChatModel llm, ISpeechSynthesizer? tts, SessionInbox inbox)
    {
        CancellationToken token = run.Cancellation.Token;
        string stage = "llm";
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        Channel<string>? speech = null;
        Task? synthesis = null;
        if (run.Settings.AudioOutput && tts is not null)
        {
            speech = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true, AllowSynchronousContinuations = true });
            synthesis = SynthesizeAsync(run, speech.Reader, tts, inbox, token);
        }

        try
        {
            SpeechChunker? chunker = speech is null ? null : new SpeechChunker();
            ResponseTimeline timeline = run.Timeline;
            long waitFrom = System.Diagnostics.Stopwatch.GetTimestamp();
            await foreach (ChatDelta delta in llm.StreamAsync(request, token).ConfigureAwait(false))
            {
                if (timeline.ModelOnCriticalPath)
                {
                    timeline.ModelWaited(waitFrom);
                    if (speech is null && delta.Kind == ChatDeltaKind.Text && delta.Text is { Length: > 0 })
                    {
                        timeline.ModelReachedFirstOutput();
                    }
                }

                inbox.TryWrite(new SessionMessage(SessionMessageKind.ChatDelta, Run: run, Delta: delta));
                if (speech is not null && delta.Kind == ChatDeltaKind.Text && delta.Text is { Length: > 0 } text)
                {
                    foreach (string chunk in chunker!.Push(text))
                    {
                        timeline.ModelReachedFirstOutput();
                        speech.Writer.TryWrite(chunk);
                    }
                }

                if (timeline.ModelOnCriticalPath)
                {
                    waitFrom = System.Diagnostics.Stopwatch.GetTimestamp();
                }
            }

            timeline.ModelReachedFirstOutput();

            Observability.EngineMetrics.BackendCompleted("llm", started);
            if (speech is not null)
            {
                if (chunker!.Flush() is string rest)
                {
                    speech.Writer.TryWrite(rest);
                }

                speech.Writer.TryComplete();
                stage = "tts";
                await synthesis!.ConfigureAwait(false);
            }

            inbox.TryWrite(new SessionMessage(SessionMessageKind.ResponseFinished, Run: run));
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            // The loop already closed the response (cancel, barge-in, limit); nothing more to say.
        }
        catch (Exception e)
        {
            speech?.Writer.TryComplete();
            if (synthesis is { IsFaulted: true })
            {
                stage = "tts";
            }

            Observability.EngineMetrics.BackendFailed(stage);
            inbox.TryWrite(new SessionMessage(SessionMessageKind.ResponseFailed, Run: run, Error: e, Stage: stage));
        }
    }

    private static async Task SynthesizeAsync(ResponseRun run, ChannelReader<string> chunks, ISpeechSynthesizer tts, SessionInbox inbox, CancellationToken token)
    {
        ResponseSettings settings = run.Settings;
        OutputAudioEncoder? encoder = null;
        bool firstAudio = true;
        await foreach (string text in chunks.ReadAllAsync(token).ConfigureAwait(false))
        {
            var request = new SynthesisRequest(text, settings.Voice, null, (float)settings.Speed);
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            long waitFrom = started;
            await foreach (AudioChunk chunk in tts.SynthesizeAsync(request, token).ConfigureAwait(false))
            {
                if (run.Timeline.SynthesisOnCriticalPath)
                {
                    run.Timeline.SynthesisWaited(waitFrom);
                    if (!chunk.Samples.IsEmpty)
                    {
                        run.Timeline.SynthesisReachedFirstOutput();
                    }
                }

                ReadOnlySpan<short> samples = chunk.Samples.Span;
                byte[] buffer;
                int length;
                if (chunk.SampleRate == 24_000 && settings.OutputFormat == AudioFormat.Pcm16)
                {
                    ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(samples);
                    buffer = BufferPool<byte>.Rent(Math.Max(1, bytes.Length));
                    bytes.CopyTo(buffer);
                    length = bytes.Length;
                }
                else
                {
                    encoder ??= new OutputAudioEncoder(chunk.SampleRate, settings.OutputFormat);
                    buffer = BufferPool<byte>.Rent(Math.Max(1, encoder.MaxEncodedBytes(samples.Length)));
                    length = encoder.Encode(samples, buffer);
                }

                Post(inbox, new SessionMessage(SessionMessageKind.Audio, buffer, length, run), urgent: firstAudio);
                firstAudio &= length == 0;
                waitFrom = System.Diagnostics.Stopwatch.GetTimestamp();
            }

            Observability.EngineMetrics.BackendCompleted("tts", started);
        }

        if (encoder is not null)
        {
            byte[] tail = BufferPool<byte>.Rent(encoder.MaxEncodedBytes(0) + 4096);
            int length = encoder.Flush(tail);
            Post(inbox, new SessionMessage(SessionMessageKind.Audio, tail, length, run), urgent: false);
        }
    }

    /// <summary>Hands audio to the session loop; once the loop has ended (client gone) the buffer goes straight back to the pool.</summary>
    /// <param name="urgent">The response's first audio: handled on this thread if the loop is idle or parked (see remarks).</param>
    private static void Post(SessionInbox inbox, SessionMessage message, bool urgent)
    {
        if (!(urgent ? inbox.TryWriteOutputAndDrain(message) : inbox.TryWrite(message)))
        {
            BufferPool<byte>.Return(message.Buffer!);
        }
    }
}
