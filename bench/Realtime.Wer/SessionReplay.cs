using System.Diagnostics;
using System.Text;
using Realtime.Engine.Backends;
using Realtime.Engine.TurnDetection;

namespace Realtime.Wer;

/// <summary>
/// Plays a fixture into the turn detector and the recognizer the way a session does with server_vad defaults:
/// 20 ms appends (paced at real time unless <c>fast</c>), a recognition stream opened at speech_started with the
/// audio from audio_start_ms (prefix padding included), each later append written to it, Complete at speech_stopped.
/// </summary>
public sealed class SessionReplay(ISpeechDetector detector, ISpeechRecognizer recognizer, bool paced)
{
    private const int ChunkSamples = 320; // 20 ms at 16 kHz
    private static readonly RecognitionOptions Options = new(null, "en", null);

    public async Task<List<TurnResult>> RunAsync(SpokenFixture fixture, CancellationToken cancellationToken)
    {
        float[] audio = fixture.Samples16k;
        // One second of silence after the fixture, as a client keeps its microphone open: the last turn ends.
        float[] padded = new float[audio.Length + 16_000];
        audio.CopyTo(padded, 0);

        using var turns = new TurnDetector(detector, new TurnDetectionSettings());
        var events = new List<TurnEvent>();
        var results = new List<TurnResult>();
        var pending = new List<Task<TurnResult>>();
        Live? live = null;
        var clock = Stopwatch.StartNew();
        for (int offset = 0, chunk = 0; offset < padded.Length; offset += ChunkSamples, chunk++)
        {
            if (paced)
            {
                TimeSpan due = TimeSpan.FromMilliseconds(chunk * 20) - clock.Elapsed;
                if (due > TimeSpan.Zero)
                {
                    await Task.Delay(due, cancellationToken);
                }
            }

            ReadOnlySpan<float> samples = padded.AsSpan(offset, Math.Min(ChunkSamples, padded.Length - offset));
            events.Clear();
            turns.Process(samples, events);
            bool openedNow = false;
            foreach (TurnEvent turn in events)
            {
                if (turn.Kind == TurnEventKind.SpeechStarted)
                {
                    // A new speech start replaces a turn that never ended: the session abandons it the same way.
                    live?.Abandon();

                    // The backlog from audio_start_ms up to and including this append, as the session writes it.
                    int start = (int)Math.Min(turn.AudioMs * 16, offset);
                    live = Live.Open(recognizer, turn.AudioMs, cancellationToken);
                    live.Stream.Write(padded.AsSpan(start, offset + samples.Length - start));
                    openedNow = true;
                }
                else if (live is not null)
                {
                    pending.Add(live.FinishAsync(turn.AudioMs));
                    live = null;
                }
            }

            if (live is not null && !openedNow)
            {
                live.Stream.Write(samples);
            }
        }

        live?.Abandon();

        foreach (Task<TurnResult> turn in pending)
        {
            results.Add(await turn);
        }

        return results;
    }

    /// <summary>A recognition stream in progress and the deltas it has streamed so far.</summary>
    private sealed class Live
    {
        private readonly StringBuilder _streamed = new();
        private readonly Lock _lock = new();
        private readonly TaskCompletionSource<(string Final, long At)> _final = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _audioStartMs;

        private Live(ISpeechRecognitionStream stream) => Stream = stream;

        public ISpeechRecognitionStream Stream { get; }

        public static Live Open(ISpeechRecognizer recognizer, long audioStartMs, CancellationToken cancellationToken)
        {
            var live = new Live(recognizer.Open(Options, cancellationToken)) { _audioStartMs = audioStartMs };
            _ = live.ReadAsync(cancellationToken);
            return live;
        }

        public void Abandon() => _ = Stream.DisposeAsync().AsTask();

        public async Task<TurnResult> FinishAsync(long audioEndMs)
        {
            string partial;
            lock (_lock)
            {
                partial = _streamed.ToString();
            }

            long stopped = Stopwatch.GetTimestamp();
            Stream.Complete();
            (string final, long at) = await _final.Task;
            await Stream.DisposeAsync();
            return new TurnResult(_audioStartMs, audioEndMs, partial, final, Stopwatch.GetElapsedTime(stopped, at).TotalMilliseconds);
        }

        private async Task ReadAsync(CancellationToken cancellationToken)
        {
            try
            {
                await foreach (TranscriptUpdate update in Stream.ReadAsync(cancellationToken))
                {
                    if (update.IsFinal)
                    {
                        _final.TrySetResult((update.Text, Stopwatch.GetTimestamp()));
                    }
                    else
                    {
                        lock (_lock)
                        {
                            _streamed.Append(update.Text);
                        }
                    }
                }

                _final.TrySetException(new InvalidOperationException("the stream ended without a final transcript"));
            }
            catch (Exception e)
            {
                _final.TrySetException(e);
            }
        }
    }
}
