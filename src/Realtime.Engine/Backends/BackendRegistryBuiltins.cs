namespace Realtime.Engine.Backends;

/// <summary>
/// Factories for <c>builtin:NAME</c> engines, supplied by whoever builds them. Each receives the engine name
/// and the configured model, and may throw <see cref="FormatException"/> for an unknown name.
/// </summary>
public sealed record BackendRegistryBuiltins
{
    public Func<string, string?, ISpeechDetector>? SpeechDetector { get; init; }

    public Func<string, string?, ISpeechRecognizer>? SpeechRecognizer { get; init; }

    public Func<string, string?, IChatModel>? ChatModel { get; init; }

    public Func<string, string?, ISpeechSynthesizer>? SpeechSynthesizer { get; init; }
}
