using System.Diagnostics;
using System.Text;

namespace Realtime.Load;

/// <summary>
/// A client that speaks: server_vad on, the fixture streamed in 20 ms appends paced at real time, then a second
/// of silence, again and again until its time is up. Measures every turn from its own send and receive times.
/// </summary>
public sealed class SpeakingSession : IAsyncDisposable
{
    public const int GapChunks = 50; // 1 s of silence after each fixture pass: the answer arrives before the next turn

    private static readonly byte[] SessionUpdate = Encoding.UTF8.GetBytes(
        "{\"type\":\"session.update\",\"session\":{\"type\":\"realtime\",\"audio\":{" +
        "\"input\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":24000},\"turn_detection\":{\"type\":\"server_vad\",\"silence_duration_ms\":500}}," +
        "\"output\":{\"format\":{\"type\":\"audio/pcm\",\"rate\":24000}}}}}");

    private readonly SpeechFixture _fixture;
    private readonly ErrorCounts _errors;
    private readonly SessionSocket _socket;
    private readonly long[] _sentAt;
    private readonly TaskCompletionSource _updated = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<TurnSample> _turns = [];
    private int _chunksSent;
    private long _stoppedAt;
    private long _audioEndMs = -1;
    private bool _awaitingAudio;

    public SpeakingSession(SpeechFixture fixture, ErrorCounts errors, int maxChunks)
    {
        _fixture = fixture;
        _errors = errors;
        _sentAt = new long[maxChunks];
        _socket = new SessionSocket(errors, OnEvent);
    }

    /// <summary>Fixture passes sent completely: each should make one turn.</summary>
    public int Passes { get; private set; }

    public IReadOnlyList<TurnSample> Turns => _turns;

    private int ChunksPerPass => _fixture.Chunks.Length + GapChunks;

    public async Task<bool> OpenAsync(Uri uri, string apiKey, CancellationToken cancellationToken)
    {
        if (!await _socket.ConnectAsync(uri, apiKey, cancellationToken) || !await _socket.SendAsync(SessionUpdate, cancellationToken))
        {
            return false;
        }

        if (await Task.WhenAny(_updated.Task, Task.Delay(TimeSpan.FromSeconds(30), cancellationToken)) != _updated.Task)
        {
            _errors.Add("no_session_updated");
            return false;
        }

        return true;
    }

    /// <summary>Streams whole fixture passes from <paramref name="start"/> while a pass still ends before <paramref name="stop"/>.</summary>
    public async Task SpeakAsync(long start, long stop, CancellationToken cancellationToken)
    {
        long chunkTicks = Stopwatch.Frequency * SpeechFixture.ChunkMs / 1000;
        long passTicks = chunkTicks * ChunksPerPass;
        int chunk = 0;
        while (start + ((Passes + 1) * passTicks) <= stop && (chunk + ChunksPerPass) <= _sentAt.Length)
        {
            for (int i = 0; i < ChunksPerPass; i++, chunk++)
            {
                long due = start + (chunk * chunkTicks);
                long wait = due - Stopwatch.GetTimestamp();
                if (wait > 0)
                {
                    await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency), cancellationToken);
                }

                byte[] message = i < _fixture.Chunks.Length ? _fixture.Chunks[i] : _fixture.Silence;
                Volatile.Write(ref _sentAt[chunk], Stopwatch.GetTimestamp());
                if (!await _socket.SendAsync(message, cancellationToken))
                {
                    return;
                }

                Volatile.Write(ref _chunksSent, chunk + 1);
            }

            Passes++;
        }
    }

    /// <summary>Waits up to <paramref name="grace"/> for the last answer, then counts a turn that got none.</summary>
    public async Task FinishAsync(TimeSpan grace)
    {
        var waited = Stopwatch.StartNew();
        while (waited.Elapsed < grace && _socket.IsOpen)
        {
            lock (_turns)
            {
                if (!_awaitingAudio && _turns.Count >= Passes)
                {
                    break;
                }
            }

            await Task.Delay(50);
        }

        lock (_turns)
        {
            if (_awaitingAudio)
            {
                _errors.Add("no_audio_delta");
                _awaitingAudio = false;
            }

            if (_turns.Count < Passes)
            {
                for (int missing = _turns.Count; missing < Passes; missing++)
                {
                    _errors.Add("turn_missing");
                }
            }
        }
    }

    public ValueTask DisposeAsync() => _socket.DisposeAsync();

    private void OnEvent(ServerEvent e, long arrived)
    {
        switch (e.Type)
        {
            case "session.updated":
                _updated.TrySetResult();
                break;
            case "input_audio_buffer.speech_stopped":
                lock (_turns)
                {
                    if (_awaitingAudio)
                    {
                        _errors.Add("no_audio_delta");
                    }

                    _awaitingAudio = true;
                    _stoppedAt = arrived;
                    _audioEndMs = e.AudioEndMs;
                }

                break;
            case "response.output_audio.delta" or "response.audio.delta":
                lock (_turns)
                {
                    if (_awaitingAudio)
                    {
                        _awaitingAudio = false;
                        RecordTurn(arrived);
                    }
                }

                break;
            case "response.done" when e.ResponseStatus is not ("completed" or null):
                _errors.Add("response:" + e.ResponseStatus);
                break;
        }
    }

    private void RecordTurn(long firstAudio)
    {
        int pass = (int)(_audioEndMs / SpeechFixture.ChunkMs / ChunksPerPass);
        int speechEnd = (pass * ChunksPerPass) + _fixture.LastSpeechChunk;
        int decision = (int)Math.Max(0, (_audioEndMs - 1) / SpeechFixture.ChunkMs);
        int sent = Volatile.Read(ref _chunksSent);
        if (_audioEndMs < 0 || speechEnd >= sent || decision >= sent)
        {
            _errors.Add("turn_unmatched");
            return;
        }

        long audioEnd = Volatile.Read(ref _sentAt[speechEnd]);
        long decided = Volatile.Read(ref _sentAt[decision]);
        _turns.Add(new TurnSample(Ms(_stoppedAt - audioEnd), Ms(firstAudio - audioEnd), Ms(firstAudio - _stoppedAt), Ms(_stoppedAt - decided), SilenceSentBefore(speechEnd)));
    }

    /// <summary>
    /// Milliseconds of audio after chunk <paramref name="speechEnd"/> whose send had begun when speech_stopped arrived
    /// (a chunk's time is taken before its send, so this can only over-count what the server had received).
    /// </summary>
    private double SilenceSentBefore(int speechEnd)
    {
        int last = speechEnd;
        while (last + 1 < _sentAt.Length && Volatile.Read(ref _sentAt[last + 1]) is long at && at != 0 && at <= _stoppedAt)
        {
            last++;
        }

        return (last - speechEnd) * (double)SpeechFixture.ChunkMs;
    }

    private static double Ms(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
