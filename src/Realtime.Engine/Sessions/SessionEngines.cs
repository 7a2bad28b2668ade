using Realtime.Engine.Backends;

namespace Realtime.Engine.Sessions;

/// <summary>The backends one session uses, resolved from its model/profile name.</summary>
public sealed record SessionEngines(
    ISpeechDetector? Vad,
    ISpeechRecognizer? Transcription,
    IChatModel Llm,
    ISpeechSynthesizer? Tts,
    string ProfileName);
