namespace Realtime.Engine.Tests.Backends;

/// <summary>Constructor options of <see cref="FakeBackend"/> (spec §5).</summary>
public sealed record FakeBackendOptions
{
    public string? Token { get; init; }
    public int FailHealthTimes { get; init; }
    public bool TtsStreamUnimplemented { get; init; }
    /// <summary>Go-base style: UNKNOWN "unimplemented" instead of UNIMPLEMENTED.</summary>
    public bool GoStyleUnimplemented { get; init; }
    public bool TranscriptionStreamUnimplemented { get; init; }
    public int TtsRate { get; init; } = 24_000;
    public bool SkipLoadCheck { get; init; }
}
