namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// Remote VAD over LocalAI's stateless VAD RPC. Coarse by nature: each request re-sends a sliding window of
/// recent audio, and the answer arrives one round trip later, so the probability is 0 or 1 and lags the
/// audio by the request interval plus latency. Prefer the built-in Silero detector where possible.
/// </summary>
internal sealed class GrpcSpeechDetector : ISpeechDetector
{
    private readonly GrpcBackendClient _client;
    private readonly string? _model;

    public GrpcSpeechDetector(GrpcBackendClient client, string? model)
    {
        _client = client;
        _model = model;
        Name = client.Uri.Canonical;
    }

    public string Name { get; }

    public int FrameSamples => 512;

    public ISpeechDetectorStream OpenStream() => new GrpcSpeechDetectorStream(_client, _model, FrameSamples);
}
