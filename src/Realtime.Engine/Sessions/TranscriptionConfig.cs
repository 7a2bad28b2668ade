namespace Realtime.Engine.Sessions;

/// <summary>`audio.input.transcription`: any model name is accepted and served by the profile's recognizer.</summary>
public sealed record TranscriptionConfig(string? Model, string? Language, string? Prompt);
