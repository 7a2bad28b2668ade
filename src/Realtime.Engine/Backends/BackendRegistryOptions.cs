namespace Realtime.Engine.Backends;

/// <summary>Settings for the remote backend clients the <see cref="BackendRegistry"/> creates.</summary>
public sealed record BackendRegistryOptions
{
    /// <summary>LocalAI's <c>LOCALAI_GRPC_AUTH_TOKEN</c>: sent as <c>authorization: Bearer</c> on every gRPC call.</summary>
    public string? AuthToken { get; init; }

    /// <summary>OpenAI-compatible HTTP API key, sent as <c>Authorization: Bearer</c>.</summary>
    public string? ApiKey { get; init; }

    /// <summary>
    /// Directory visible at the same path to the gateway and the gRPC backend: transcription input WAVs and
    /// unary-TTS output files are exchanged through it.
    /// </summary>
    public string SharedDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "realtime-fast-stt");

    /// <summary>Deadline of one backend call (a whole LLM stream, one transcription, one synthesis).</summary>
    public TimeSpan CallTimeout { get; init; } = TimeSpan.FromSeconds(120);

    /// <summary>TCP connect timeout; a backend that is down fails within this.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Health polls before the first use gives up (LocalAI polls 20 times, 2 s apart).</summary>
    public int HealthAttempts { get; init; } = 10;

    public TimeSpan HealthRetryDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Calls in flight per backend. LocalAI backends are single-worker, so 1 by default.</summary>
    public int MaxConcurrency { get; init; } = 1;

    /// <summary>`dns:///` pools: how often each replica's Health is checked while it is healthy.</summary>
    public TimeSpan ReplicaHealthInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>`dns:///` pools: first retry of a replica that failed (Health or a call); doubles up to <see cref="ReplicaRetryMaxDelay"/>.</summary>
    public TimeSpan ReplicaRetryDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>`dns:///` pools: the longest wait between checks of a replica that is down.</summary>
    public TimeSpan ReplicaRetryMaxDelay { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>Tests only: resolves `dns:///` names instead of DNS (loopback has one address per name).</summary>
    internal global::Grpc.Net.Client.Balancer.ResolverFactory? ReplicaResolver { get; init; }

    /// <summary>Call LoadModel with the configured model name at first use (off for backends loaded by someone else).</summary>
    public bool LoadModel { get; init; } = true;

    /// <summary>
    /// Models directory on the backend's host. When set, LoadModel also sends <c>ModelPath</c> and
    /// <c>ModelFile</c> (the directory joined with the model name), which Go backends (whisper, silero-vad,
    /// piper) open instead of <c>Model</c>.
    /// </summary>
    public string? ModelDirectory { get; init; }

    /// <summary>Backend options sent with LoadModel, each <c>"key:value"</c> (e.g. whisper's <c>vad_only</c>).</summary>
    public IReadOnlyList<string> LoadOptions { get; init; } = [];

    /// <summary>Rate assumed when a TTS stream announces none.</summary>
    public int DefaultSynthesisSampleRate { get; init; } = 24_000;

    /// <summary>HTTP speech <c>response_format</c>: <c>pcm</c> (24 kHz s16le) or <c>wav</c>.</summary>
    public string SpeechResponseFormat { get; init; } = "pcm";

    /// <summary>Ask the HTTP transcription endpoint for SSE deltas (<c>stream=true</c>).</summary>
    public bool StreamTranscription { get; init; }

    /// <summary>Remote VAD: seconds of recent audio re-sent on each request.</summary>
    public TimeSpan VadWindow { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Remote VAD: frames of 512 samples between requests.</summary>
    public int VadFramesPerRequest { get; init; } = 4;
}
