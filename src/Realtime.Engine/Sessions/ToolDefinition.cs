namespace Realtime.Engine.Sessions;

/// <summary>A function tool as the client declared it; <see cref="ParametersJson"/> is the JSON Schema text, echoed verbatim.</summary>
public sealed record ToolDefinition(string Name, string? Description, string? ParametersJson);
