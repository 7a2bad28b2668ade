using Microsoft.Extensions.Logging;
using Realtime.Engine.Backends.Grpc.Protocol;

namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// Keeps the last <see cref="BackendRegistryOptions.VadWindow"/> of 16 kHz audio. Every N frames it starts one
/// VAD request (never more than one in flight) without blocking the session loop, and <see cref="Process"/>
/// returns the answer of the latest completed request: 1 when the window ends inside speech (an open
/// segment, end == 0, or a segment reaching the last frame), else 0.
/// </summary>
internal sealed class GrpcSpeechDetectorStream : ISpeechDetectorStream
{
    private const int SampleRate = 16_000;

    private readonly GrpcBackendClient _client;
    private readonly string? _model;
    private readonly int _frameSamples;
    private readonly float[] _window;
    private readonly CancellationTokenSource _cancel = new();
    private readonly VADRequest _request = new();
    private int _filled;
    private int _framesSinceRequest;
    private Task? _pending;
    private float _probability;
    private int _generation;
    private bool _failing;
    private Exception? _failure;

    public GrpcSpeechDetectorStream(GrpcBackendClient client, string? model, int frameSamples)
    {
        _client = client;
        _model = model;
        _frameSamples = frameSamples;
        var samples = (int)(client.Options.VadWindow.TotalSeconds * SampleRate);
        _window = new float[Math.Max(frameSamples, samples - samples % frameSamples)];
    }

    /// <summary>The request in flight, if any (tests await it to stay deterministic).</summary>
    internal Task PendingRequest => _pending ?? Task.CompletedTask;

    public float Process(ReadOnlySpan<float> frame)
    {
        if (frame.Length != _frameSamples)
        {
            throw new ArgumentException($"Expected {_frameSamples} samples.", nameof(frame));
        }

        if (_filled + frame.Length > _window.Length)
        {
            var drop = _filled + frame.Length - _window.Length;
            _window.AsSpan(drop, _filled - drop).CopyTo(_window);
            _filled -= drop;
        }

        frame.CopyTo(_window.AsSpan(_filled));
        _filled += frame.Length;

        if (++_framesSinceRequest >= _client.Options.VadFramesPerRequest && (_pending is null || _pending.IsCompleted))
        {
            _framesSinceRequest = 0;
            // One request message is reused: at most one is in flight, and its repeated field keeps its capacity.
            var audio = _request.Audio;
            audio.Clear();
            for (var i = 0; i < _filled; i++)
            {
                audio.Add(_window[i]);
            }

            _pending = RequestAsync(_request, _filled, _generation);
        }

        return Volatile.Read(ref _probability);
    }

    private async Task RequestAsync(VADRequest request, int samples, int generation)
    {
        try
        {
            await _client.EnsureReadyAsync(_model, _cancel.Token).ConfigureAwait(false);
            VADResponse response;
            using (await _client.EnterAsync("vad", _cancel.Token).ConfigureAwait(false))
            {
                // An answer older than its window is no use: a VAD call gets the window as its deadline at most.
                var deadline = _client.Options.VadWindow < _client.Options.CallTimeout ? _client.Options.VadWindow : _client.Options.CallTimeout;
                response = await _client.Api.VADAsync(request, _client.CallOptions(_cancel.Token, deadline)).ResultAsync(_cancel.Token).ConfigureAwait(false);
            }

            if (generation == Volatile.Read(ref _generation))
            {
                Volatile.Write(ref _probability, EndsInSpeech(response, samples) ? 1f : 0f);
            }

            _failing = false;
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            // A failed tick counts as silence: a turn open when the backend went away still ends (by the silence
            // duration) instead of waiting for a "speech ended" that never comes. The next tick asks again; the
            // session tells the client once per run of failures.
            Volatile.Write(ref _probability, 0f);
            if (!_failing)
            {
                _failing = true;
                Volatile.Write(ref _failure, e);
                _client.Logger.LogWarning("Backend {Backend}: VAD request failed: {Error}", _client.Uri, e.Message);
            }
        }
    }

    public Exception? TakeFailure() => Interlocked.Exchange(ref _failure, null);

    internal static bool EndsInSpeech(VADResponse response, int samples)
    {
        var windowSeconds = samples / (double)SampleRate;
        var lastFrameStart = windowSeconds - 512.0 / SampleRate;
        foreach (var segment in response.Segments)
        {
            if (segment.End == 0f || segment.End >= lastFrameStart)
            {
                return true;
            }
        }

        return false;
    }

    public void Reset()
    {
        Interlocked.Increment(ref _generation);
        _filled = 0;
        _framesSinceRequest = 0;
        Volatile.Write(ref _probability, 0f);
    }

    public void Dispose()
    {
        _cancel.Cancel();
        _cancel.Dispose();
    }
}
