namespace Realtime.Engine.Backends.OpenAiHttp;

/// <summary>STT over multipart <c>POST /audio/transcriptions</c>; the turn is buffered and sent at commit.</summary>
internal sealed class OpenAiSpeechRecognizer : ISpeechRecognizer
{
    private readonly OpenAiHttpClient _client;
    private readonly string? _model;

    public OpenAiSpeechRecognizer(OpenAiHttpClient client, string? model)
    {
        _client = client;
        _model = model;
        Name = client.Uri.Canonical;
    }

    public string Name { get; }

    public bool StreamsWhileSpeaking => false;

    public ISpeechRecognitionStream Open(RecognitionOptions options, CancellationToken cancellationToken) =>
        new OpenAiRecognitionStream(_client, _model, options, cancellationToken);
}
