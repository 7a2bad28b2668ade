namespace Realtime.Engine.Sessions;

/// <summary>Maps the `model` of a connection (null when absent) to the engines of a configured profile.</summary>
public interface ISessionEngineResolver
{
    SessionEngines Resolve(string? model);
}
