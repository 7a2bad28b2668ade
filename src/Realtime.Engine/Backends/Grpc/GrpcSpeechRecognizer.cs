namespace Realtime.Engine.Backends.Grpc;

/// <summary>
/// STT over LocalAI's file-based transcription: the turn is buffered, written as a 16 kHz mono WAV into the
/// directory shared with the backend, and transcribed with AudioTranscriptionStream (or the unary RPC).
/// </summary>
internal sealed class GrpcSpeechRecognizer : ISpeechRecognizer
{
    private readonly GrpcBackendClient _client;
    private readonly string? _model;

    public GrpcSpeechRecognizer(GrpcBackendClient client, string? model)
    {
        _client = client;
        _model = model;
        Name = client.Uri.Canonical;
    }

    public string Name { get; }

    public bool StreamsWhileSpeaking => false;

    public ISpeechRecognitionStream Open(RecognitionOptions options, CancellationToken cancellationToken) =>
        new GrpcRecognitionStream(_client, _model, options, cancellationToken);
}
