namespace Realtime.Engine.Backends;

/// <summary>How a stage reaches its engine.</summary>
public enum BackendUriKind
{
    /// <summary><c>builtin:NAME</c>: an in-process engine.</summary>
    Builtin,

    /// <summary><c>grpc://host:port</c> or <c>dns:///host:port</c>: LocalAI's <c>backend.Backend</c> service.</summary>
    Grpc,

    /// <summary><c>http(s)://host:port/v1</c>: an OpenAI-compatible REST server.</summary>
    OpenAiHttp,
}
